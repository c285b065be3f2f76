/**
 * A few lines instead of a framework: `h` builds an element from its tag, attributes and children;
 * text always goes in as text nodes, so nothing from the server is ever parsed as HTML.
 */

type Child = Node | string | number | false | null | undefined
type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>

/** An element: `on*` attributes are listeners, `false`/`undefined` attributes are left out. */
export const h = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Array<Child | ReadonlyArray<Child>>): HTMLElementTagNameMap[K] => {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue
    if (typeof v === "function") el.addEventListener(k.slice(2).toLowerCase(), v)
    else if (k === "value" && "value" in el) (el as HTMLInputElement).value = String(v)
    else el.setAttribute(k, v === true ? "" : String(v))
  }
  append(el, children)
  return el
}

const SVG = "http://www.w3.org/2000/svg"

/** An SVG element. */
export const s = (tag: string, attrs: Attrs = {}, ...children: Array<Child>): SVGElement => {
  const el = document.createElementNS(SVG, tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue
    if (typeof v === "function") el.addEventListener(k.slice(2).toLowerCase(), v)
    else el.setAttribute(k, String(v))
  }
  append(el, children)
  return el
}

const append = (el: Element, children: ReadonlyArray<Child | ReadonlyArray<Child>>): void => {
  for (const c of children) {
    if (Array.isArray(c)) append(el, c)
    else if (c instanceof Node) el.appendChild(c)
    else if (c !== false && c !== null && c !== undefined) el.appendChild(document.createTextNode(String(c)))
  }
}

/** Replaces an element's children. */
export const mount = (el: Element, ...children: Array<Child | ReadonlyArray<Child>>): void => {
  el.replaceChildren()
  append(el, children)
}

/** JSON for people: indented, `undefined` as nothing. */
export const pretty = (u: unknown): string => (u === undefined ? "" : typeof u === "string" ? u : JSON.stringify(u, null, 2))

/** A compact one-line JSON. */
export const compact = (u: unknown): string => (u === undefined ? "" : JSON.stringify(u))
