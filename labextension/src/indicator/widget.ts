/**
 * The indicator: a lock symbol and a word, in the status bar (JupyterLab) or the
 * top area (Notebook 7, JupyterLite's notebook app). It behaves as a button.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';
import { sentences, untranslated } from '../translation';
import { IsolationState } from './diagnosis';
import { stateDescriptions, stateLabels } from './labels';
import { lockSymbol } from './symbols';

export const INDICATOR_CLASS = 'jp-coi-indicator';

export interface IIndicatorOptions {
  state: IsolationState;
  /** Called on click, Enter or Space. */
  onActivate: () => void;
  /** Where the indicator sits, for styling: `statusbar` or `top`. */
  placement: 'statusbar' | 'top';
  trans?: TranslationBundle;
}

export class IsolationIndicator extends Widget {
  constructor(options: IIndicatorOptions) {
    super({ node: document.createElement('div') });
    this._onActivate = options.onActivate;
    this._trans = options.trans ?? untranslated;
    this.id = 'jp-coi-indicator';
    this.addClass(INDICATOR_CLASS);
    this.addClass(`jp-coi-indicator-${options.placement}`);
    const node = this.node;
    node.setAttribute('role', 'button');
    node.tabIndex = 0;
    node.addEventListener('click', this);
    node.addEventListener('keydown', this);
    this.setState(options.state);
  }

  get state(): IsolationState {
    return this._state;
  }

  /** Show a state: symbol, word, accessible name and test hooks. */
  setState(state: IsolationState): void {
    this._state = state;
    const node = this.node;
    node.dataset.coiState = state;
    const label = document.createElement('span');
    label.className = 'jp-coi-label';
    const trans = this._trans;
    label.textContent = stateLabels(trans)[state];
    node.replaceChildren(lockSymbol(state), label);
    const description = sentences(
      trans,
      stateDescriptions(trans)[state],
      trans.__('Show cross-origin isolation details.')
    );
    node.setAttribute('aria-label', description);
    node.title = description;
  }

  /** Mark that the full probe has finished (a hook for tests). */
  setReady(): void {
    this.node.dataset.coiReady = 'true';
  }

  handleEvent(event: Event): void {
    if (event.type === 'click') {
      this._onActivate();
      return;
    }
    if (event.type === 'keydown') {
      const key = (event as KeyboardEvent).key;
      if (key === 'Enter' || key === ' ' || key === 'Spacebar') {
        event.preventDefault();
        event.stopPropagation();
        this._onActivate();
      }
    }
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.node.removeEventListener('click', this);
    this.node.removeEventListener('keydown', this);
    super.dispose();
  }

  private _state: IsolationState = 'not-isolated';
  private _onActivate: () => void;
  private _trans: TranslationBundle;
}
