/** The `email-reply-parser` library (crisp-oss) ships no types: the part Docket uses. */
declare module 'email-reply-parser' {
  export default class EmailReplyParser {
    /** The text without quoted history and signature. */
    parseReply(text: string): string;
  }
}
