/**
 * Turns a Kubernetes object into the text of a Helm template. The object is built with markers where Helm
 * actions go (`expr` for an action inside a scalar, `block` for lines that replace a whole `key: value` or
 * list item), serialised with the yaml library, and the markers are then swapped for the actions. Strings
 * from config/ are escaped first, so Prometheus' own `{{ $labels.x }}` survives Helm's rendering.
 */
import { stringify } from "yaml";

// biome-ignore lint/suspicious/noExplicitAny: Kubernetes objects are walked generically
export type Obj = Record<string, any>;

/** Lines replacing a `key: <marker>` line (or `- <marker>` item); `head` is "key:" or "-", `indent` its column. */
export type Block = (indent: string, head: string) => string;

export class Template {
  private readonly exprs: string[] = [];
  private readonly blocks: Block[] = [];

  /** A marker for an action inside a scalar, e.g. `{{ $.Values.replicaCount }}`. */
  expr(action: string): string {
    return `HELMX${this.exprs.push(action) - 1}X`;
  }

  /** A marker for a value whose whole line (with its key) is replaced by the block's lines. */
  block(block: Block): string {
    return `HELMB${this.blocks.push(block) - 1}B`;
  }

  /** The template text of `obj`, wrapped in `{{- if cond }}` when `cond` is given. */
  render(obj: Obj, cond?: string): string {
    let text = stringify(obj, { lineWidth: 0, aliasDuplicateObjects: false });
    text = text.replace(
      /^( *)(- |[^\s:][^:\n]*: )HELMB(\d+)B$/gm,
      (_m, indent: string, head: string, i: string) => {
        const block = this.blocks[Number(i)] as Block;
        return block(indent, head.trim());
      },
    );
    text = text.replace(/HELMX(\d+)X/g, (_m, i: string) => this.exprs[Number(i)] as string);
    if (/HELM[XB]\d+[XB]/.test(text)) throw new Error(`a marker was left in the template:\n${text}`);
    return cond ? `{{- if ${cond} }}\n${text}{{- end }}\n` : text;
  }
}

/** Escapes Go-template delimiters in a string from config/ so Helm renders it verbatim. */
export const escapeActions = (s: string): string => s.replace(/\{\{|\}\}/g, (m) => `{{ \`${m}\` }}`);

/** `key:` followed by `toYaml value`, always present. */
export const toYamlBlock =
  (value: string): Block =>
  (indent, head) =>
    `${indent}${head}\n${indent}  {{- toYaml ${value} | nindent ${indent.length + 2} }}`;

/** `key:` with `toYaml value`, only when the value is not empty. */
export const optionalYamlBlock =
  (value: string): Block =>
  (indent, head) =>
    `${indent}{{- with ${value} }}\n${indent}${head}\n${indent}  {{- toYaml . | nindent ${indent.length + 2} }}\n${indent}{{- end }}`;
