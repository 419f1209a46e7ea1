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
