import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { UserError } from '../server/user-errors.js';

/** A file on a ticket or a comment, with a short-lived download link. */
@ObjectType('Attachment', { description: 'A file on a ticket or a comment (docs/INBOUND.md)' })
export class AttachmentType {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'The file name, without any path' })
  filename!: string;

  @Field({
    description:
      'Sniffed from the content (file-type); application/octet-stream when unknown or active (HTML, SVG)',
  })
  contentType!: string;

  @Field(() => Int, { description: 'Bytes' })
  size!: number;

  @Field({ description: 'Internal attachments (of internal notes) are never shown to requesters' })
  internal!: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'An inline image’s Content-ID (referred to as cid: in the mail)',
  })
  contentId?: string;

  @Field({ description: 'EMAIL or UPLOAD' })
  source!: string;

  @Field()
  createdAt!: Date;

  @Field({ description: 'A signed download link, valid until urlExpiresAt (ATTACHMENT_LINK_TTL_SECONDS)' })
  url!: string;

  @Field()
  urlExpiresAt!: Date;
}

@InputType()
export class CreateAttachmentUploadInput {
  @Field(() => ID)
  ticketId!: string;

  @Field({ description: 'The file name (any path is dropped)' })
  filename!: string;

  @Field({ defaultValue: false, description: 'For an internal note (agents only)' })
  internal!: boolean;
}

@ObjectType('AttachmentUpload', {
  description:
    'A signed upload link: PUT the file’s bytes to `url` before `expiresAt`; the answer names the attachment id',
})
export class AttachmentUploadType {
  @Field()
  url!: string;

  @Field()
  expiresAt!: Date;

  @Field(() => Int, { description: 'The largest file it takes, in bytes' })
  maxBytes!: number;
}

@ObjectType()
export class AttachmentUploadPayload {
  @Field(() => AttachmentUploadType, { nullable: true })
  upload?: AttachmentUploadType | null;

  @Field(() => [UserError])
  errors!: UserError[];
}
