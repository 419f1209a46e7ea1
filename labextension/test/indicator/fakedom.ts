/**
 * Just enough of a document for the dialog's body, which Jest (running without a DOM) cannot
 * build otherwise: elements that keep their children, classes, data and attributes.
 */
export class FakeElement {
  className = '';
  readonly dataset: Record<string, string> = {};
  readonly attributes: Record<string, string> = {};
  readonly children: (FakeElement | string)[] = [];
  readonly classList = {
    add: (...names: string[]): void => {
      this.className = [this.className, ...names].filter(Boolean).join(' ');
    }
  };

  constructor(readonly tagName: string) {}

  append(...nodes: (FakeElement | string)[]): void {
    this.children.push(...nodes);
  }

  setAttribute(name: string, value: string): void {
    this.attributes[name] = value;
  }

  get textContent(): string {
    return this.children
      .map(child => (typeof child === 'string' ? child : child.textContent))
      .join('');
  }

  set textContent(text: string) {
    this.children.splice(0, this.children.length, text);
  }

  /** The elements below, depth first, that have `tagName`. */
  all(tagName: string): FakeElement[] {
    const found: FakeElement[] = [];
    for (const child of this.children) {
      if (typeof child !== 'string') {
        if (child.tagName === tagName) {
          found.push(child);
        }
        found.push(...child.all(tagName));
      }
    }
    return found;
  }
}

/** Run `build` with the fake document as `document`. */
export function withFakeDocument<T>(build: () => T): T {
  const global = globalThis as { document?: unknown };
  const saved = global.document;
  global.document = {
    createElement: (tag: string) => new FakeElement(tag),
    createElementNS: (_: string, tag: string) => new FakeElement(tag)
  };
  try {
    return build();
  } finally {
    global.document = saved;
  }
}
