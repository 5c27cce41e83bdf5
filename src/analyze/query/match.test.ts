import { describe, expect, it } from 'vitest';
import { compileQuery, prepareText } from './index.js';

const SPEC_QUERY = '"acme cloud" OR acmecloud OR @acmecloud -jobs -"acme corp"';

/** [query, text, expected match() result] */
type Case = [string, string, string[] | null];

function check(query: string, text: string, expected: string[] | null): void {
  expect(compileQuery(query).match(text)).toEqual(expected);
}

describe('the SPEC example query', () => {
  it.each<Case>([
    ['spec', 'Acme Cloud is down again', ['"acme cloud"']],
    ['spec', 'acmecloud rocks', ['acmecloud']],
    ['spec', 'thanks @AcmeCloud!', ['acmecloud', '@acmecloud']],
    ['spec', 'Acme Cloud, aka acmecloud', ['"acme cloud"', 'acmecloud']],
    ['spec', 'Acme Cloud jobs: we are hiring', null],
    ['spec', 'Acme Corp bought Acme Cloud', null],
    ['spec', 'acme corporation and acme cloud', ['"acme cloud"']],
    ['spec', 'acme is a cloud company', null],
    ['spec', 'nothing relevant', null],
    ['spec', 'acmecloud.com/status shows an outage', ['acmecloud']],
    ['spec', 'JOBS page of acmecloud', null],
  ])('%s: %j -> %j', (_name, text, expected) => {
    check(SPEC_QUERY, text, expected);
  });

  it('binds OR tighter than AND: same result as the explicit grouping', () => {
    const explicit = compileQuery('("acme cloud" OR acmecloud OR @acmecloud) AND NOT jobs AND NOT "acme corp"');
    const spec = compileQuery(SPEC_QUERY);
    for (const text of ['acme cloud', 'acmecloud jobs', '@acmecloud', 'acme corp acmecloud', 'jobs', 'acme']) {
      expect(spec.match(text)).toEqual(explicit.match(text));
    }
  });
});

describe('case, Unicode and normalisation', () => {
  it.each<Case>([
    ['Café', 'best cafe in town', ['Café']],
    ['cafe', 'Best CAFÉ in town', ['cafe']],
    ['"crème brûlée"', 'Creme Brulee is great', ['"crème brûlée"']],
    ['naïve', 'a NAÏVE approach', ['naïve']],
    ['ACME', 'acme', ['ACME']],
    ['acme', 'ＡＣＭＥ full width', ['acme']],
    ['strasse', 'Die Straße ist gesperrt', ['strasse']],
    ['Straße', 'strasse', ['Straße']],
    ['søren', 'Soren said hi', ['søren']],
    ['"don\'t"', 'I don’t like it', ['"don\'t"']],
    ['"don’t"', "I don't like it", ['"don’t"']],
    ['acme', 'Acme’s new release', ['acme']],
    ['acmecloud', 'acme\u00ADcloud with a soft hyphen', ['acmecloud']],
    ['acmecloud', 'acme\u200Bcloud with a zero-width space', ['acmecloud']],
    ['fine', 'ﬁne ligature', ['fine']],
    ['ΣΟΦΙΑ', 'σοφια', ['ΣΟΦΙΑ']],
    ['москва', 'МОСКВА', ['москва']],
  ])('%s in %j -> %j', check);
});

describe('whole-word matching', () => {
  it.each<Case>([
    ['ai', 'training data', null],
    ['ai', 'he said so', null],
    ['ai', 'AI is here', ['ai']],
    ['ai', 'AI-powered search', ['ai']],
    ['ai', 'built with (AI)', ['ai']],
    ['ai', 'the #AI hype', ['ai']],
    ['ai', 'we love AI.', ['ai']],
    ['ai', 'ask @ai today', ['ai']],
    ['ai', 'ai_tools is one word', null],
    ['ai', '"AI"', ['ai']],
    ['acme', 'acme2 is another product', null],
    ['acme', 'ACME-powered', ['acme']],
    ['acme', 'theacme acmes', null],
    ['acme', 'support@acme.com', ['acme']],
    ['acmecloud', 'https://acmecloud.com/status', ['acmecloud']],
    ['acmecloud', 'mail ops@acmecloud.io now', ['acmecloud']],
    ['acmecloud.com', 'visit https://www.AcmeCloud.com/pricing', ['acmecloud.com']],
    ['acmecloud.com', 'acmecloud com', ['acmecloud.com']],
    ['AI-powered', 'an ai powered tool', ['AI-powered']],
    ['v2', 'acme v2.0 released', ['v2']],
  ])('%s in %j -> %j', check);
});

describe('@handles and #hashtags', () => {
  it.each<Case>([
    ['acmecloud', '@acmecloud', ['acmecloud']],
    ['acmecloud', '#acmecloud', ['acmecloud']],
    ['@acmecloud', '@AcmeCloud hello', ['@acmecloud']],
    ['@acmecloud', 'acmecloud hello', null],
    ['@acmecloud', '#acmecloud hello', null],
    ['@acmecloud', 'write to help@acmecloud please', null],
    ['@acmecloud', 'https://mastodon.social/@acmecloud', ['@acmecloud']],
    ['@acmecloud', '@acmecloud.bsky.social posted', ['@acmecloud']],
    ['@acmecloud', '@acmecloudsupport', null],
    ['#outage', 'big #Outage today', ['#outage']],
    ['#outage', 'big outage today', null],
    ['#outage', 'ask @outage', null],
    ['#outage', 'https://acme.io/status#outage', null],
    ['@acme_cloud', 'cc @Acme_Cloud', ['@acme_cloud']],
    ['"@acmecloud is down"', '@acmecloud is DOWN', ['"@acmecloud is down"']],
    ['"@acmecloud is down"', 'acmecloud is down', null],
  ])('%s in %j -> %j', check);
});

describe('phrases', () => {
  it.each<Case>([
    ['"acme cloud"', 'Acme-Cloud', ['"acme cloud"']],
    ['"acme cloud"', 'acme,  cloud', ['"acme cloud"']],
    ['"acme cloud"', 'ACME\nCLOUD', ['"acme cloud"']],
    ['"acme cloud"', 'acme big cloud', null],
    ['"acme cloud"', 'cloud acme', null],
    ['"acme cloud"', 'acme clouds', null],
    ['"acme cloud"', 'acme', null],
    ['"data loss"', 'we had data loss', ['"data loss"']],
    ['"a b a b c"', 'a b a b a b c', ['"a b a b c"']],
    ['"OR and AND"', 'or and and', ['"OR and AND"']],
    ['"(acme) -cloud"', 'acme cloud', ['"(acme) -cloud"']],
    ['"acme clo*"', 'Acme Cloudy skies', ['"acme clo*"']],
    ['"acme clo*"', 'acme blue', null],
  ])('%s in %j -> %j', check);
});

describe('prefix*', () => {
  it.each<Case>([
    ['acme*', 'AcmeCloud', ['acme*']],
    ['acme*', 'acme', ['acme*']],
    ['acme*', 'the acmes', ['acme*']],
    ['acme*', 'theacme', null],
    ['acme*', 'acm', null],
    ['refund*', 'I want a REFUND', ['refund*']],
    ['refund*', 'refunded yesterday', ['refund*']],
    ['refund*', 'prerefund', null],
    ['@acme*', '@acmecloud', ['@acme*']],
    ['@acme*', 'acmecloud', null],
    ['#acme*', '#AcmeCon2026', ['#acme*']],
    ['café*', 'Cafeteria', ['café*']],
    ['acme* -acmes', 'acmecloud', ['acme*']],
    ['acme* -acmes', 'acmes', null],
  ])('%s in %j -> %j', check);
});

describe('AND, OR, NOT and grouping', () => {
  it.each<Case>([
    ['acme cloud', 'cloud by acme', ['acme', 'cloud']],
    ['acme cloud', 'acme only', null],
    ['acme AND cloud', 'cloud by acme', ['acme', 'cloud']],
    ['acme AND cloud', 'cloud only', null],
    ['acme OR cloud', 'cloud only', ['cloud']],
    ['acme OR cloud', 'neither', null],
    ['acme or cloud', 'acme cloud', null],
    ['acme or cloud', 'acme or cloud', ['acme', 'or', 'cloud']],
    ['acme and cloud', 'acme and cloud', ['acme', 'and', 'cloud']],
    ['acme not', 'acme is not down', ['acme', 'not']],
    ['acme -jobs', 'acme jobs', null],
    ['acme NOT jobs', 'acme jobs', null],
    ['acme NOT jobs', 'acme news', ['acme']],
    ['acme -"acme corp"', 'acme corp news', null],
    ['acme -"acme corp"', 'acme corporation news', ['acme']],
    ['acme -(jobs OR hiring)', 'acme is hiring', null],
    ['acme -(jobs OR hiring)', 'acme jobs', null],
    ['acme -(jobs OR hiring)', 'acme news', ['acme']],
    ['acme -(jobs hiring)', 'acme jobs', ['acme']],
    ['acme -(jobs hiring)', 'acme jobs hiring', null],
    ['acme NOT NOT cloud', 'acme cloud', ['acme', 'cloud']],
    ['acme NOT NOT cloud', 'acme', null],
    ['acme --cloud', 'acme cloud', ['acme', 'cloud']],
    ['acme OR cloud down', 'cloud down', ['cloud', 'down']],
    ['acme OR cloud down', 'acme cloud', null],
    ['acme OR (cloud down)', 'cloud down', ['cloud', 'down']],
    ['acme OR (cloud down)', 'cloud', null],
    ['cloud (NOT acme OR down)', 'cloud and acme', null],
    ['cloud (NOT acme OR down)', 'cloud', ['cloud']],
    ['cloud (NOT acme OR down)', 'cloud acme down', ['cloud', 'down']],
    ['x (a OR (b -c))', 'x b', ['x', 'b']],
    ['x (a OR (b -c))', 'x b c', null],
    ['x (a OR (b -c))', 'x a b c', ['x', 'a']],
    ['(a x) OR b', 'a b', ['b']],
    ['((((acme))))', 'ACME', ['acme']],
    ['acme OR acme', 'acme', ['acme']],
    ['acme -(-cloud)', 'acme cloud', ['acme', 'cloud']],
    ['acme -(-cloud)', 'acme', null],
    ['NOT(jobs) acme', 'acme', ['acme']],
    ['acme"cloud"', 'acme cloud', ['acme', '"cloud"']],
    ['acme  \t\n cloud', 'acme cloud', ['acme', 'cloud']],
  ])('%s in %j -> %j', check);

  it('reports terms in query order, each once', () => {
    const q = compileQuery('outage OR down OR "is down" OR outage');
    expect(q.match('Acme is down, a big outage')).toEqual(['outage', 'down', '"is down"']);
  });
});

describe('scripts without spaces (substring matching)', () => {
  it.each<Case>([
    ['東京', '東京都でイベント', ['東京']],
    ['東京', '京都に行く', null],
    ['アクメ', '新しいアクメクラウドが出た', ['アクメ']],
    ['"アクメ クラウド"', 'アクメクラウドが落ちた', ['"アクメ クラウド"']],
    ['ｱｸﾒ', 'アクメです', ['ｱｸﾒ']],
    ['が', 'か', null],
    ['云服务', '阿克米云服务宕机了', ['云服务']],
    ['云服务', '服务云', null],
    ['阿克米 宕机', '阿克米云服务宕机了', ['阿克米', '宕机']],
    ['iPhone用', 'iPhone用ケース', ['iPhone用']],
    ['iPhone用', 'xiPhone用ケース', null],
    ['"東京 タワー"', '東京タワーに行った', ['"東京 タワー"']],
    ['ไทย', 'ภาษาไทยดี', ['ไทย']],
    ['삼성', '삼성전자가 발표했다', ['삼성']],
    ['#東京', '#東京 オリンピック', ['#東京']],
    ['acme', 'アクメacmeクラウド', ['acme']],
  ])('%s in %j -> %j', check);
});

describe('prepareText', () => {
  it('gives the same results as matching the string, for several queries', () => {
    const text = 'Acme Cloud status: @acmecloud says the #outage is fixed. Refunds? https://acmecloud.com/refunds';
    const prepared = prepareText(text);
    const queries = [SPEC_QUERY, 'refund*', '#outage', 'outage -fixed', 'acme OR "status page"', 'status'];
    for (const query of queries) {
      const q = compileQuery(query);
      expect(q.match(prepared)).toEqual(q.match(text));
    }
    expect(compileQuery('refund*').match(prepared)).toEqual(['refund*']);
    expect(compileQuery('outage -fixed').match(prepared)).toBeNull();
  });

  it('answers the same before and after the prepared text builds its word index', () => {
    // The first lookups scan the words; later ones (many queries on one text) use the index.
    const text = 'Acme Cloud is down again, @acmecloud #outage refunds pending';
    const queries = ['nothing', 'absent', 'missing', 'acme', '"acme cloud"', '@acmecloud', '#outage', 'refund*', 'down -up', 'zzz OR cloud', 'acmecloud -"acme corp"'];
    const prepared = prepareText(text);
    for (const round of [1, 2]) {
      for (const query of queries) {
        const q = compileQuery(query);
        expect(q.match(prepared), `${query} (round ${round})`).toEqual(q.match(prepareText(text)));
      }
    }
    expect(compileQuery('nothing').match(prepared)).toBeNull();
    expect(compileQuery('@acmecloud').match(prepared)).toEqual(['@acmecloud']);
  });

  it('counts word tokens', () => {
    expect(prepareText('Acme-Cloud, @acme #x 東京').tokenCount).toBe(6);
    expect(prepareText('').tokenCount).toBe(0);
  });

  it('rejects objects that did not come from prepareText', () => {
    expect(() => compileQuery('acme').match({ tokenCount: 1 })).toThrow(TypeError);
  });

  it('keeps the source', () => {
    expect(compileQuery(SPEC_QUERY).source).toBe(SPEC_QUERY);
  });
});
