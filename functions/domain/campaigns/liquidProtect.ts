// MJML and Liquid share characters that mean different things to each ("{{ a | b: "c" }}" inside an
// attribute breaks MJML's XML parser; MJML may re-quote or re-indent text). Every Liquid tag is swapped
// for an inert alphanumeric token before MJML sees the document and swapped back afterwards.

/** Tokens are letters and digits only, so no MJML, CSS, URL or HTML step alters them (except case). */
const TOKEN_RE = /rpliq(\d+)x(\n*)/gi;
const LIQUID_RE = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g;

export interface ProtectedSource {
  /** The source with every Liquid tag replaced by a token; line breaks are kept so MJML lines match. */
  text: string;
  /** Puts the Liquid tags back (tokens are matched case-insensitively: html-to-text may upper-case). */
  restore(compiled: string): string;
}

/** `first` numbers the tokens, so two protected texts can share one document. */
export function protectLiquid(source: string, first = 0): ProtectedSource {
  if (/rpliq\d+x/i.test(source)) {
    throw new Error('the template contains the reserved text "rpliq<digits>x"');
  }
  const tags: string[] = [];
  const text = source.replace(LIQUID_RE, (tag) => {
    const token = `rpliq${first + tags.length}x`;
    tags.push(tag);
    // A tag spanning lines keeps its line breaks after the token, so MJML's line numbers stay right.
    return token + '\n'.repeat(tag.split('\n').length - 1);
  });
  return {
    text,
    restore(compiled) {
      return compiled.replace(TOKEN_RE, (token, index: string, breaks: string) => {
        const tag = tags[Number(index) - first];
        // Tokens of another protected text are left for its own restore.
        if (tag === undefined) return token;
        // The line breaks kept for MJML's line numbers go back into the tag they came from.
        const kept = tag.split('\n').length - 1;
        return tag + breaks.slice(Math.min(kept, breaks.length));
      });
    },
  };
}
