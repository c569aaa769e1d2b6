import { Field, ID, InterfaceType } from 'type-graphql';

type Class = abstract new (...args: never[]) => unknown;
const typeNames = new Map<Class, string>();

/** Tells `Node` which GraphQL type an entity class is served as. */
export function registerNodeType(entity: Class, typeName: string): void {
  typeNames.set(entity, typeName);
}

/** Read-path plain objects carry their `__typename`; entities are known by their class. */
export function nodeTypeName(value: object): string | undefined {
  return (value as { __typename?: string }).__typename ?? typeNames.get(value.constructor as Class);
}

/** Relay's Node: every object with a global id can be fetched again with `node(id)`. */
@InterfaceType({
  description: 'An object with a global id',
  resolveType: (v: object) => nodeTypeName(v),
})
export abstract class Node {
  @Field(() => ID, { description: 'Global id: pass it to node(id) or to any argument that takes this id' })
  id!: string;
}
