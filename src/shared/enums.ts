/** Enumerations shared by the model and the API. Their values are the API's contract. */
export enum Priority {
  LOW = 'LOW',
  MEDIUM = 'MEDIUM',
  HIGH = 'HIGH',
  CRITICAL = 'CRITICAL',
}

/** Queue rank: lower is more urgent. */
export const PRIORITY_RANK: Record<Priority, number> = {
  [Priority.CRITICAL]: 0,
  [Priority.HIGH]: 1,
  [Priority.MEDIUM]: 2,
  [Priority.LOW]: 3,
};

export enum Channel {
  PORTAL = 'PORTAL',
  EMAIL = 'EMAIL',
  PHONE = 'PHONE',
  CHAT = 'CHAT',
  API = 'API',
  FORUM = 'FORUM',
}

export enum Role {
  REQUESTER = 'REQUESTER',
  AGENT = 'AGENT',
  ADMIN = 'ADMIN',
}

export enum RelationKind {
  FOLLOW_UP = 'FOLLOW_UP',
  REVISION = 'REVISION',
}
