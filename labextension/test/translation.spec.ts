/**
 * The translation helpers: sentences translated whole, with what fills their slots (code,
 * marked-up URLs, DOM nodes) kept out of the translation. Jest runs without a DOM: a node is a
 * plain object with the one member the helper reads.
 */
import {
  PLACEHOLDERS,
  fillSlots,
  sentences,
  untranslated
} from '../src/translation';
import { recordingBundle } from './bundle';

describe('fillSlots', () => {
  it('puts each slot in its place, the text around as strings', () => {
    expect(fillSlots('Serve %1 with %2.', ['A', 'B'])).toEqual([
      'Serve ',
      'A',
      ' with ',
      'B',
      '.'
    ]);
  });

  it('follows a translation that puts the placeholders in the other order', () => {
    const a = { slot: 'a' };
    const b = { slot: 'b' };
    expect(fillSlots('%2 mit %1 ausliefern', [a, b])).toEqual([
      b,
      ' mit ',
      a,
      ' ausliefern'
    ]);
  });

  it('uses a slot as often as the text names it, cloning a node it already placed', () => {
    expect(fillSlots('%1 and %1', ['x'])).toEqual(['x', ' and ', 'x']);
    const clones: string[] = [];
    const node = {
      id: 'code',
      cloneNode: (deep: boolean) => {
        clones.push(`deep: ${deep}`);
        return { id: 'copy' };
      }
    };
    const parts = fillSlots('%1, then %1', [node]);
    expect(parts[0]).toBe(node);
    expect(parts[2]).toEqual({ id: 'copy' });
    expect(clones).toEqual(['deep: true']);
  });

  it('gives text without placeholders as it is, and nothing for empty text', () => {
    expect(fillSlots('No slots here.', [])).toEqual(['No slots here.']);
    expect(fillSlots('No slots here.', ['unused'])).toEqual(['No slots here.']);
    expect(fillSlots('', [])).toEqual([]);
  });

  it('says which placeholder has no slot', () => {
    expect(() => fillSlots('Serve %1 with %3', ['A', 'B'])).toThrow(
      'fillSlots: %3 has no slot (2 given) in "Serve %1 with %3"'
    );
    expect(() => fillSlots('%0', ['A'])).toThrow('%0 has no slot');
  });

  it('fills the placeholders that trans.__ keeps with PLACEHOLDERS', () => {
    const text = untranslated.__('Serve %1 with %2', ...PLACEHOLDERS);
    expect(text).toBe('Serve %1 with %2');
    expect(fillSlots(text, ['A', 'B']).join('')).toBe('Serve A with B');
  });
});

describe('sentences', () => {
  it('joins sentences with a space, leaving out empty ones', () => {
    expect(sentences(untranslated, 'One.', '', 'Two.', 'Three.')).toBe(
      'One. Two. Three.'
    );
    expect(sentences(untranslated, 'One.', '')).toBe('One.');
    expect(sentences(untranslated)).toBe('');
  });

  it('leaves what goes between them to the translation', () => {
    const { trans, msgids } = recordingBundle(msgid =>
      msgid === '%1 %2' ? '%1%2' : msgid
    );
    expect(sentences(trans, '一。', '二。', '三。')).toBe('一。二。三。');
    expect(msgids).toEqual(['%1 %2', '%1 %2']);
  });
});
