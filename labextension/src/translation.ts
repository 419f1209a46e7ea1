/**
 * The extension's strings go through `ITranslator` where the page provides one. The functions
 * that build texts take a bundle, defaulting to the null translator's, so that they stay pure
 * and their English is what the sources say.
 */
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';

/** The gettext domain: the Python package's name, which a language pack's catalogue bears. */
export const TRANSLATION_DOMAIN = 'jupyter_coi';

/** The source English, for callers that pass no bundle. */
// No string is translated through this name, so the extractor has nothing to miss here.
// eslint-disable-next-line jupyter/incorrect-translator-usage
export const untranslated: TranslationBundle =
  nullTranslator.load(TRANSLATION_DOMAIN);

/**
 * `%1` to `%9` as arguments of `trans.__`, which then keeps a sentence's placeholders for
 * `fillSlots` to fill: `fillSlots(trans.__('Serve %1 with %2', ...PLACEHOLDERS), [a, b])`.
 */
export const PLACEHOLDERS = Array.from({ length: 9 }, (_, i) => `%${i + 1}`);

/**
 * A translated sentence split at its placeholders, each `%N` replaced by `slots[N - 1]`: the
 * parts in order, text as strings, for `Element.append` when the slots are nodes. The sentence
 * is translated whole, so a translation may move its slots; what fills them (code, a marked-up
 * URL) is never translated. A node can be in one place only, so one that a translation uses
 * twice is cloned.
 */
export function fillSlots<T>(
  text: string,
  slots: readonly T[]
): (string | T)[] {
  const parts: (string | T)[] = [];
  const used = new Set<number>();
  // With a capturing group, split puts each placeholder's number at the odd indices.
  text.split(/%(\d+)/).forEach((piece, i) => {
    if (i % 2 === 0) {
      if (piece) {
        parts.push(piece);
      }
      return;
    }
    const index = Number(piece) - 1;
    if (!(index >= 0 && index < slots.length)) {
      throw new Error(
        `fillSlots: %${piece} has no slot (${slots.length} given) in "${text}"`
      );
    }
    const slot = slots[index];
    parts.push(
      used.has(index) && isNode(slot) ? (slot.cloneNode(true) as T) : slot
    );
    used.add(index);
  });
  return parts;
}

function isNode(value: unknown): value is Node {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Node).cloneNode === 'function'
  );
}

/**
 * Sentences one after another, the empty ones left out. A translation decides what goes
 * between two of them: a space in English, nothing in scripts that use none.
 */
export function sentences(
  trans: TranslationBundle,
  ...texts: string[]
): string {
  const [first = '', ...rest] = texts.filter(text => text !== '');
  return rest.reduce(
    (before, next) =>
      trans._p('one sentence after another', '%1 %2', before, next),
    first
  );
}
