/**
 * Language detection tuned for short social-media texts.
 *
 * Trigram detectors (franc) are unreliable on tweets ("I love my new phone" comes out Serbian)
 * and cost ~70 µs a call, so English is decided first from words: the share of words found in
 * the English word list learned from the training tweets (models/english-words.txt), and
 * function words that are distinctive for other Latin-script languages ("und", "est", "muy",
 * "não"...). franc is consulted only for texts that are not clearly English, and always for
 * texts written mostly in another script. A text with fewer than three words and no other
 * script is "unclear" (null) and analysed as English.
 */
import { readFileSync } from 'node:fs';
import { franc, francAll } from 'franc-min';
import type { Token } from '../features/tokenize.js';
import { WordTable } from '../features/word-table.js';

export interface LanguageGuess {
  /** ISO 639-1 code where one exists ('en', 'de'), else franc's ISO 639-3 code; null when unclear. */
  code: string | null;
  /** True when the sentiment model may score the text (English, or too short to tell). */
  supported: boolean;
}

/** Distinctive, frequent words of other languages that are not English words. */
const FOREIGN_WORDS: Record<string, string[]> = {
  de: 'und ist nicht ich das der ein eine einen sehr mit auf für sich auch wir bin aber noch schon kein keine wie dem den mir mich dass oder wird gibt heute danke bitte leider schlecht immer nur vom im ganz habe hat sind wieder warum jetzt mein meine kann'.split(' '),
  es: 'el los las del que por para con una muy pero como más está esta es yo gracias nunca porque cuando todo hoy también tengo hay lo mal peor servicio nada siempre ya su sus'.split(' '),
  fr: 'le les des est je suis pas une et avec pour dans mais très cest nous vous merci ce qui sur du au aux été jai il elle mon ma mes ne rien toujours jamais sont ça cette'.split(' '),
  pt: 'não nao é muito com uma para obrigado obrigada você voce isso está mas meu minha eu os da em ao que nunca sempre pra ruim'.split(' '),
  it: 'il non che è sono molto della per una questo grazie ma anche mi ho sempre mai gli del'.split(' '),
  nl: 'het een niet ik van dat zijn met voor maar ook heel dank wij jullie bij naar geen nog wel'.split(' '),
  id: 'yang dan tidak ini itu saya aku dengan untuk ada sudah belum tapi bisa kamu dari'.split(' '),
  tr: 've bir bu çok için ile değil ama ben sen gibi'.split(' '),
};

const FOREIGN_LANGS = Object.keys(FOREIGN_WORDS);
/** Bit 0: an English word; bit i + 1: a function word of FOREIGN_LANGS[i]. One lookup per word. */
const ENGLISH_BIT = 1;

const ISO3_TO_1: Record<string, string> = {
  cmn: 'zh', spa: 'es', eng: 'en', rus: 'ru', arb: 'ar', ben: 'bn', hin: 'hi', por: 'pt', ind: 'id', jpn: 'ja',
  fra: 'fr', deu: 'de', jav: 'jv', kor: 'ko', tel: 'te', vie: 'vi', mar: 'mr', ita: 'it', tam: 'ta', tur: 'tr',
  urd: 'ur', guj: 'gu', pol: 'pl', ukr: 'uk', kan: 'kn', mal: 'ml', pes: 'fa', mya: 'my', swh: 'sw', sun: 'su',
  ron: 'ro', pan: 'pa', hau: 'ha', bos: 'bs', hrv: 'hr', nld: 'nl', srp: 'sr', tha: 'th', ckb: 'ku', yor: 'yo',
  uzn: 'uz', zlm: 'ms', ibo: 'ig', npi: 'ne', ceb: 'ceb', tgl: 'tl', hun: 'hu', azj: 'az', sin: 'si', koi: 'ru',
  ell: 'el', ces: 'cs', bel: 'be', bul: 'bg', kaz: 'kk', amh: 'am', swe: 'sv', som: 'so', zul: 'zu', kin: 'rw',
  heb: 'he', aka: 'ak', nya: 'ny', run: 'rn', kat: 'ka', hye: 'hy', khm: 'km', lao: 'lo',
};

/** Latin-script languages franc may name when the words are not English. */
const LATIN_CANDIDATES = ['eng', 'spa', 'por', 'fra', 'deu', 'ita', 'nld', 'ind', 'tur', 'pol', 'ron', 'swe', 'ces', 'hun', 'vie', 'tgl', 'swh', 'zlm', 'hrv', 'jav', 'sun', 'ceb', 'hau', 'yor', 'som', 'zul', 'uzn', 'azj'];

function iso1(code: string): string {
  return ISO3_TO_1[code] ?? code;
}

/** Letters outside Latin script (Latin, Latin-1 and Latin Extended count as Latin). */
const LETTER_RE = /\p{L}/u;
const NON_ASCII_RE = /[^\x00-\x7f]/;
/**
 * A character scriptCounts() would count as another script: a letter from U+0370 up to the
 * surrogates, or kana, han or hangul (as counted there, assigned or not). Without one, `other`
 * is 0 and the text is Latin: one regex scan instead of a loop over every character of every
 * tweet with an emoji or a curly quote.
 */
const OTHER_SCRIPT_RE = new RegExp('[\\p{L}--[\\u0000-\\u036f\\u{d800}-\\u{10ffff}]]|[\\u3040-\\u30ff\\u4e00-\\u9fff\\uac00-\\ud7af]', 'v');

function scriptCounts(text: string): { latin: number; other: number; han: number; kana: number; hangul: number } {
  let latin = 0;
  let other = 0;
  let han = 0;
  let kana = 0;
  let hangul = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) latin++;
    } else if (c >= 0xc0 && c <= 0x24f) latin++;
    else if (c >= 0x3040 && c <= 0x30ff) kana++;
    else if (c >= 0x4e00 && c <= 0x9fff) han++;
    else if (c >= 0xac00 && c <= 0xd7af) hangul++;
    else if (c >= 0x370 && c < 0xd800 && LETTER_RE.test(text[i]!)) other++;
  }
  return { latin, other: other + han + kana + hangul, han, kana, hangul };
}

export class LanguageDetector {
  private readonly words: WordTable;

  constructor(english: Iterable<string>, capacity = 0) {
    const foreign = Object.values(FOREIGN_WORDS).reduce((n, list) => n + list.length, 0);
    this.words = new WordTable(capacity + foreign);
    for (const w of english) this.words.include(w, ENGLISH_BIT);
    FOREIGN_LANGS.forEach((lang, i) => {
      for (const w of FOREIGN_WORDS[lang]!) this.words.include(w, 2 << i);
    });
  }

  static fromFile(file: string): LanguageDetector {
    const words = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line && !line.startsWith('#'));
    return new LanguageDetector(words, words.length);
  }

  detect(text: string, tokens: readonly Token[]): LanguageGuess {
    // Pure ASCII text is Latin script; only other text needs its letters counted.
    if (NON_ASCII_RE.test(text) && OTHER_SCRIPT_RE.test(text)) {
      const script = scriptCounts(text);
      if (script.other > script.latin) return this.otherScript(text, script);
    }
    let words = 0;
    let known = 0;
    let votes: number[] | null = null;
    for (const t of tokens) {
      // One-letter words ("I", "a") say little and are not in the word list.
      if (t.kind !== 'word' || t.norm.length < 2) continue;
      words++;
      const bits = this.words.get(t.norm, t.hash);
      if (bits === 0) continue;
      if (bits & ENGLISH_BIT) known++;
      if (bits <= ENGLISH_BIT) continue;
      votes ??= new Array<number>(FOREIGN_LANGS.length).fill(0);
      for (let i = 0; i < FOREIGN_LANGS.length; i++) if (bits & (2 << i)) votes[i]!++;
    }
    let bestLang: string | null = null;
    let bestVotes = 0;
    if (votes !== null) {
      for (let i = 0; i < votes.length; i++) {
        if (votes[i]! > bestVotes) {
          bestLang = FOREIGN_LANGS[i]!;
          bestVotes = votes[i]!;
        }
      }
    }
    const share = words > 0 ? known / words : 0;
    if (bestLang !== null && bestVotes >= 2 && bestVotes / Math.max(1, words) >= 0.2 && share < 0.9) {
      return { code: bestLang, supported: false };
    }
    if (words < 3) return { code: null, supported: true };
    if (share >= 0.4) return { code: 'en', supported: true };
    if (words < 4) return { code: null, supported: true };
    // Mostly unknown words: ask the trigram model (only here, it is slow), and believe a
    // language other than English only because the words did not look English either.
    const ranked = francAll(text, { minLength: 10, only: LATIN_CANDIDATES });
    const [best, bestScore] = ranked[0] ?? ['und', 0];
    if (best === 'und') return { code: null, supported: true };
    if (best === 'eng') return { code: 'en', supported: true };
    // Names, lists and rare words fool trigram models: English close behind is "unclear".
    const english = ranked.find(([lang]) => lang === 'eng')?.[1] ?? 0;
    if (english >= 0.9 * bestScore) return { code: null, supported: true };
    return { code: iso1(best), supported: false };
  }

  private otherScript(text: string, script: { han: number; kana: number; hangul: number; other: number }): LanguageGuess {
    if (script.kana > 0) return { code: 'ja', supported: false };
    if (script.hangul > script.other / 2) return { code: 'ko', supported: false };
    if (script.han > script.other / 2) return { code: 'zh', supported: false };
    const guess = franc(text, { minLength: 3 });
    return { code: guess === 'und' ? null : iso1(guess), supported: false };
  }
}
