/**
 * A small, strict, non-validating XML 1.0 reader and writer, just enough for
 * the ISMRMRD header: elements, attributes, text, CDATA, comments, processing
 * instructions, the five predefined entities and character references, and
 * namespace resolution. No DTDs (an internal subset is refused: no entity
 * expansion), no external resources. The reader is iterative and linear in the
 * input, so deep or huge inputs cannot blow the stack or hang.
 *
 * Errors are plain `XmlSyntaxError`s with a line and column; the header layer
 * turns them into UhfError('INGEST_BAD_XML').
 */

export interface XmlElement {
  /** Qualified name as written, e.g. `ismrmrd:encoding`. */
  name: string;
  /** Local part of the name, e.g. `encoding`. */
  local: string;
  /** Namespace URI; '' for none; undefined when the prefix is not bound. */
  ns: string | undefined;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside this element (text + CDATA). */
  text: string;
}

export class XmlSyntaxError extends Error {
  readonly line: number;
  readonly column: number;
  constructor(message: string, line: number, column: number) {
    super(`${message} (line ${line}, column ${column})`);
    this.name = 'XmlSyntaxError';
    this.line = line;
    this.column = column;
  }
}

/** Deepest element nesting accepted; the ISMRMRD header needs about 6. */
export const MAX_XML_DEPTH = 256;

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

const NAME_RE = /[A-Za-z_:\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\uD800-\uDBFF][A-Za-z0-9_:.\-\u00B7\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u037D\u037F-\u1FFF\u200C-\u200D\u203F-\u2040\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\uD800-\uDFFF]*/y;
const WS_RE = /[ \t\r\n]*/y;
/** Characters XML 1.0 forbids anywhere in a document. */
const ILLEGAL_CHAR_RE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

interface Frame {
  el: XmlElement;
  /** Namespace bindings in scope: prefix → URI ('' key = default namespace). */
  scope: Map<string, string>;
}

class Reader {
  private pos = 0;
  /** 1 when the document starts with a byte-order mark. */
  private docStart = 0;
  constructor(private readonly s: string) {}

  fail(message: string, at: number = this.pos): never {
    let line = 1;
    let lineStart = 0;
    const end = Math.min(at, this.s.length);
    for (let i = this.s.indexOf('\n'); i !== -1 && i < end; i = this.s.indexOf('\n', i + 1)) {
      line++;
      lineStart = i + 1;
    }
    throw new XmlSyntaxError(message, line, end - lineStart + 1);
  }

  private startsWith(tok: string): boolean {
    return this.s.startsWith(tok, this.pos);
  }

  private skipWs(): number {
    WS_RE.lastIndex = this.pos;
    WS_RE.exec(this.s);
    const n = WS_RE.lastIndex - this.pos;
    this.pos = WS_RE.lastIndex;
    return n;
  }

  private name(what: string): string {
    NAME_RE.lastIndex = this.pos;
    const m = NAME_RE.exec(this.s);
    if (!m) {
      if (this.pos >= this.s.length) this.fail(`unexpected end of input, expected ${what}`);
      this.fail(`expected ${what}, found ${JSON.stringify(this.s.slice(this.pos, this.pos + 12))}`);
    }
    this.pos = NAME_RE.lastIndex;
    return m[0];
  }

  /** Skips past `close`, which must occur; returns the text before it. */
  private until(close: string, what: string): string {
    const end = this.s.indexOf(close, this.pos);
    if (end === -1) this.fail(`unterminated ${what}`);
    const body = this.s.slice(this.pos, end);
    this.pos = end + close.length;
    return body;
  }

  private comment(): void {
    const start = this.pos;
    this.pos += 4;
    const body = this.until('-->', 'comment');
    if (body.includes('--')) this.fail("'--' is not allowed inside a comment", start);
  }

  private pi(): void {
    const start = this.pos;
    this.pos += 2;
    const target = this.name('a processing-instruction target');
    if (target.toLowerCase() === 'xml' && start !== this.docStart) this.fail('XML declaration not at the start of the document', start);
    this.until('?>', 'processing instruction');
  }

  private doctype(): void {
    const start = this.pos;
    this.pos += 9;
    // Refuse an internal subset: it may declare entities, which we do not expand.
    const gt = this.s.indexOf('>', this.pos);
    const br = this.s.indexOf('[', this.pos);
    if (gt === -1) this.fail('unterminated DOCTYPE', start);
    if (br !== -1 && br < gt) this.fail('DOCTYPE with an internal subset is not supported', start);
    this.pos = gt + 1;
  }

  private decode(raw: string, at: number): string {
    if (!raw.includes('&')) return raw;
    let out = '';
    let i = 0;
    for (;;) {
      const amp = raw.indexOf('&', i);
      if (amp === -1) return out + raw.slice(i);
      out += raw.slice(i, amp);
      const semi = raw.indexOf(';', amp + 1);
      if (semi === -1 || semi - amp > 12) this.fail("'&' that does not start an entity reference (write &amp;)", at + amp);
      const ref = raw.slice(amp + 1, semi);
      if (ref.startsWith('#')) {
        const hex = ref.startsWith('#x');
        const digits = ref.slice(hex ? 2 : 1);
        if (!(hex ? /^[0-9A-Fa-f]+$/ : /^[0-9]+$/).test(digits)) this.fail(`bad character reference &${ref};`, at + amp);
        const cp = parseInt(digits, hex ? 16 : 10);
        const legal =
          cp === 0x9 || cp === 0xa || cp === 0xd ||
          (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
        if (!legal) this.fail(`character reference &${ref}; is not a legal XML character`, at + amp);
        out += String.fromCodePoint(cp);
      } else {
        const ch = PREDEFINED[ref];
        if (ch === undefined) this.fail(`unknown entity &${ref};`, at + amp);
        out += ch;
      }
      i = semi + 1;
    }
  }

  private attributes(): { attrs: Record<string, string>; selfClosing: boolean } {
    const attrs: Record<string, string> = Object.create(null) as Record<string, string>;
    for (;;) {
      const ws = this.skipWs();
      if (this.startsWith('/>')) {
        this.pos += 2;
        return { attrs, selfClosing: true };
      }
      if (this.startsWith('>')) {
        this.pos += 1;
        return { attrs, selfClosing: false };
      }
      if (this.pos >= this.s.length) this.fail('unexpected end of input inside a start tag');
      if (ws === 0) this.fail('expected whitespace, \'>\' or \'/>\' in a start tag');
      const at = this.pos;
      const name = this.name('an attribute name');
      this.skipWs();
      if (this.s[this.pos] !== '=') this.fail(`expected '=' after attribute ${name}`);
      this.pos++;
      this.skipWs();
      const q = this.s[this.pos];
      if (q !== '"' && q !== "'") this.fail(`expected a quoted value for attribute ${name}`);
      this.pos++;
      const vStart = this.pos;
      const raw = this.until(q, `value of attribute ${name}`);
      if (raw.includes('<')) this.fail(`'<' in the value of attribute ${name}`, vStart);
      if (name in attrs) this.fail(`duplicate attribute ${name}`, at);
      // Attribute-value normalization: literal whitespace characters become spaces.
      attrs[name] = this.decode(raw.replace(/[\t\n\r]/g, ' '), vStart);
    }
  }

  private resolve(qname: string, scope: Map<string, string>, isAttr: boolean): { local: string; ns: string | undefined } {
    const colon = qname.indexOf(':');
    if (colon === -1) return { local: qname, ns: isAttr ? '' : (scope.get('') ?? '') };
    const prefix = qname.slice(0, colon);
    const local = qname.slice(colon + 1);
    if (prefix === 'xml') return { local, ns: XML_NS };
    if (prefix === 'xmlns') return { local, ns: XMLNS_NS };
    return { local, ns: scope.get(prefix) };
  }

  parse(): XmlElement {
    const s = this.s;
    if (s.charCodeAt(0) === 0xfeff) this.pos = this.docStart = 1;
    const bad = ILLEGAL_CHAR_RE.exec(s);
    if (bad) this.fail(`illegal character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`, bad.index);

    // Prolog.
    let sawDoctype = false;
    let sawMarkup = false;
    for (;;) {
      this.skipWs();
      if (this.pos >= s.length) this.fail('no root element');
      if (this.startsWith('<?')) this.pi();
      else if (this.startsWith('<!--')) this.comment();
      else if (this.startsWith('<!DOCTYPE')) {
        if (sawDoctype) this.fail('second DOCTYPE');
        sawDoctype = true;
        this.doctype();
      } else if (this.startsWith('<')) break;
      else this.fail(sawMarkup ? 'text before the root element' : "not an XML document (it does not start with '<')");
      sawMarkup = true;
    }

    const stack: Frame[] = [];
    let root: XmlElement | undefined;
    while (root === undefined) {
      const top = stack[stack.length - 1];
      if (this.pos >= s.length) {
        this.fail(top ? `unexpected end of input: <${top.el.name}> is not closed` : 'unexpected end of input');
      }
      if (s.charCodeAt(this.pos) !== 0x3c /* < */) {
        // Character data up to the next markup.
        const at = this.pos;
        let end = s.indexOf('<', at);
        if (end === -1) end = s.length;
        const raw = s.slice(at, end);
        const cdEnd = raw.indexOf(']]>');
        if (cdEnd !== -1) this.fail("']]>' is not allowed in text", at + cdEnd);
        this.pos = end;
        if (top) top.el.text += this.decode(raw, at);
        continue;
      }
      if (this.startsWith('</')) {
        const at = this.pos;
        this.pos += 2;
        const name = this.name('an element name');
        this.skipWs();
        if (this.pos >= s.length) this.fail(`unexpected end of input inside </${name}`);
        if (s[this.pos] !== '>') this.fail(`expected '>' to end </${name}`);
        this.pos++;
        if (!top) this.fail(`unexpected </${name}>`, at);
        if (top.el.name !== name) this.fail(`</${name}> does not match <${top.el.name}>`, at);
        stack.pop();
        if (stack.length === 0) root = top.el;
      } else if (this.startsWith('<!--')) {
        this.comment();
      } else if (this.startsWith('<![CDATA[')) {
        this.pos += 9;
        const body = this.until(']]>', 'CDATA section');
        if (top) top.el.text += body;
      } else if (this.startsWith('<?')) {
        this.pi();
      } else if (this.startsWith('<!')) {
        this.fail('unexpected markup declaration inside the document');
      } else {
        const at = this.pos;
        this.pos += 1;
        const name = this.name('an element name');
        const { attrs, selfClosing } = this.attributes();
        if (stack.length >= MAX_XML_DEPTH) this.fail(`elements nested deeper than ${MAX_XML_DEPTH}`, at);
        let scope = top ? top.scope : new Map<string, string>();
        for (const [k, v] of Object.entries(attrs)) {
          if (k === 'xmlns' || k.startsWith('xmlns:')) {
            if (scope === top?.scope) scope = new Map(scope);
            scope.set(k === 'xmlns' ? '' : k.slice(6), v);
          }
        }
        const { local, ns } = this.resolve(name, scope, false);
        const el: XmlElement = { name, local, ns, attrs, children: [], text: '' };
        if (top) top.el.children.push(el);
        if (selfClosing) {
          if (!top) root = el;
        } else {
          stack.push({ el, scope });
        }
      }
    }

    // Epilog: only whitespace, comments and processing instructions.
    for (;;) {
      this.skipWs();
      if (this.pos >= s.length) break;
      if (this.startsWith('<!--')) this.comment();
      else if (this.startsWith('<?')) this.pi();
      else this.fail('content after the root element');
    }
    return root;
  }
}

/**
 * Parses an XML document and returns its root element. Line ends are
 * normalized (CR LF and lone CR become LF) as XML requires.
 * Throws XmlSyntaxError.
 */
export function parseXmlDocument(xml: string): XmlElement {
  const normalized = xml.includes('\r') ? xml.replace(/\r\n?/g, '\n') : xml;
  return new Reader(normalized).parse();
}

// ------------------------------------------------------------------ writing

/** True when `s` holds only characters XML 1.0 allows. */
export function isXmlSafe(s: string): boolean {
  return !ILLEGAL_CHAR_RE.test(s) && !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/** Escapes character data; CR is written as a reference so it survives line-end normalization. */
export function escapeXmlText(s: string): string {
  return s.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;'));
}

/** Escapes an attribute value (double-quoted). */
export function escapeXmlAttr(s: string): string {
  return s.replace(/[&<>"\t\n\r]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : `&#${c.charCodeAt(0)};`,
  );
}
