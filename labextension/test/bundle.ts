/**
 * A translation bundle for the tests of what goes through one: it changes every message it is
 * given (upper case by default), so that translated text shows, and records the messages, so
 * that a value passed as one (a header value, a URL) is caught.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { untranslated } from '../src/translation';

export interface IRecordingBundle {
  trans: TranslationBundle;
  /** Every message asked for, in order: msgids, and the plural forms of `_n`. */
  msgids: string[];
}

export function recordingBundle(
  change: (msgid: string) => string = msgid => msgid.toUpperCase()
): IRecordingBundle {
  const msgids: string[] = [];
  const seen = (...ids: string[]) => {
    msgids.push(...ids);
    return ids.map(change);
  };
  const gettext = (msgid: string, ...args: any[]) =>
    untranslated.__(seen(msgid)[0], ...args);
  const ngettext = (
    msgid: string,
    plural: string,
    n: number,
    ...args: any[]
  ) => {
    const [one, many] = seen(msgid, plural);
    return untranslated._n(one, many, n, ...args);
  };
  const pgettext = (context: string, msgid: string, ...args: any[]) =>
    untranslated._p(context, seen(msgid)[0], ...args);
  const npgettext = (
    context: string,
    msgid: string,
    plural: string,
    n: number,
    ...args: any[]
  ) => ngettext(msgid, plural, n, ...args);
  const trans: TranslationBundle = {
    __: gettext,
    _n: ngettext,
    _p: pgettext,
    _np: npgettext,
    gettext,
    ngettext,
    pgettext,
    npgettext,
    dcnpgettext: (domain, context, msgid, plural, n, ...args) =>
      npgettext(context, msgid, plural, n, ...args)
  };
  return { trans, msgids };
}
