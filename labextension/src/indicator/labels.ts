/** Words shown for each state, shared by the indicator and the dialog. */
import type { TranslationBundle } from '@jupyterlab/translation';
import { untranslated } from '../translation';
import { IsolationState } from './diagnosis';

export function stateLabels(
  trans: TranslationBundle
): Record<IsolationState, string> {
  return {
    isolated: trans.__('Isolated'),
    'not-isolated': trans.__('Not isolated')
  };
}

/** The state in a sentence of its own: the dialog's verdict, the indicator's description. */
export function stateDescriptions(
  trans: TranslationBundle
): Record<IsolationState, string> {
  return {
    isolated: trans.__('This page is cross-origin isolated.'),
    'not-isolated': trans.__('This page is not cross-origin isolated.')
  };
}

/** A fix as the dialog and the copied report show it. */
export function fixLine(fix: string, trans: TranslationBundle): string {
  return trans.__('Fix: %1', fix);
}

/** The dialog's section of loads that isolation blocked. */
export function blockedHeading(trans: TranslationBundle): string {
  return trans.__('Blocked by isolation');
}

export const STATE_LABEL = stateLabels(untranslated);
export const STATE_DESCRIPTION = stateDescriptions(untranslated);
export const BLOCKED_HEADING = blockedHeading(untranslated);
