import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collapseWhitespace, decodeEntities, htmlToText, plural, truncate } from './text.js';

describe('htmlToText', () => {
  it.each([
    ['<p>Hello</p><p>World</p>', 'Hello\n\nWorld'],
    ['line one<br>line two<br/>line three', 'line one\nline two\nline three'],
    ['<b>bold</b> and <i>italic</i>', 'bold and italic'],
    ['<script>alert(1)</script>Safe <style>p{color:red}</style>text', 'Safe text'],
    ['Caf&eacute; &amp; bar &#8212; &#x2603; &nbsp;x', 'Café & bar — ☃ x'],
    ['<ul><li>one</li><li>two</li></ul>', 'one\ntwo'],
    ['<div>\n   lots\n\n   of    space   </div>', 'lots of space'],
    ['<a href="https://example.com/?a=1&amp;b=2">link</a>', 'link'],
    ['no markup at all', 'no markup at all'],
    ['<p>unclosed <b>bold', 'unclosed bold'],
    ['5 < 6 and 7 > 3', '5 < 6 and 7 > 3'],
    ['<img src=x onerror=alert(1)>after', 'after'],
    ['<!-- comment -->visible', 'visible'],
    ['<![CDATA[ x ]]>y', 'y'],
  ])('%j -> %j', (html, text) => {
    expect(htmlToText(html)).toBe(text);
  });

  it('never leaves a tag in its output (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('<p>', '</p>', '<b>', 'text', ' ', '&amp;', '<br>', '<script>x</script>', '<div class="a">', '\n')), (parts) => {
        const out = htmlToText(parts.join(''));
        expect(out).not.toMatch(/<\/?(p|b|br|div|script)\b/);
        expect(out).toBe(out.trim());
      }),
    );
  });
});

describe('decodeEntities', () => {
  it.each([
    ['&lt;p&gt;', '<p>'],
    ['&#X61;&#98;', 'ab'],
    ['it&apos;s', "it's"],
    ['&copy; 2026', '© 2026'],
    ['AT&T', 'AT&T'],
    ['&unknown;', '&unknown;'],
  ])('%j -> %j', (input, output) => {
    expect(decodeEntities(input)).toBe(output);
  });
});

describe('collapseWhitespace', () => {
  it.each([
    ['  a \t b  ', 'a b'],
    ['a\r\nb', 'a\nb'],
    ['a\n\n\n\nb', 'a\n\nb'],
    ['a \n  b', 'a\nb'],
    ['a\u00a0\u00a0b', 'a b'],
  ])('%j -> %j', (input, output) => {
    expect(collapseWhitespace(input)).toBe(output);
  });
});

describe('truncate', () => {
  it('leaves short text alone', () => {
    expect(truncate('short', 10)).toBe('short');
  });
  it('cuts on a word boundary with an ellipsis', () => {
    expect(truncate('The quick brown fox jumps over the lazy dog', 20)).toBe('The quick brown fox…');
  });
  it('cuts inside a long word when there is no boundary near the end', () => {
    expect(truncate('Supercalifragilisticexpialidocious', 10)).toBe('Supercali…');
  });
  it('does not split a surrogate pair', () => {
    const out = truncate('ab😀😀😀😀', 4);
    expect(out).toBe('ab…');
  });
  it('never exceeds max (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.integer({ min: 0, max: 120 }), (text, max) => {
        const out = truncate(text, max);
        expect(out.length).toBeLessThanOrEqual(Math.max(max, 0));
        if (text.length <= max) expect(out).toBe(text);
        else if (max > 0) expect(out.endsWith('…')).toBe(true);
      }),
    );
  });
});

describe('plural', () => {
  it.each([
    [0, 'mention', undefined, '0 mentions'],
    [1, 'mention', undefined, '1 mention'],
    [2, 'row', undefined, '2 rows'],
    [1, 'alert delivery', 'alert deliveries', '1 alert delivery'],
    [3, 'alert delivery', 'alert deliveries', '3 alert deliveries'],
  ])('%i %s', (n, one, many, expected) => {
    expect(plural(n, one, many)).toBe(expected);
  });
});
