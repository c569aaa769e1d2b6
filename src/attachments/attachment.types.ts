import { Field, ID, Int, ObjectType } from 'type-graphql';

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
