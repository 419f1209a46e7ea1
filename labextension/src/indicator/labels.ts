/** Words shown for each state, shared by the indicator and the dialog. */
import { IsolationState } from './diagnosis';

export const STATE_LABEL: Record<IsolationState, string> = {
  isolated: 'Isolated',
  'not-isolated': 'Not isolated'
};

export const STATE_DESCRIPTION: Record<IsolationState, string> = {
  isolated: 'This page is cross-origin isolated',
  'not-isolated': 'This page is not cross-origin isolated'
};

/** The dialog's section of loads that isolation blocked. */
export const BLOCKED_HEADING = 'Blocked by isolation';
