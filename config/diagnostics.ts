/** Diagnostics: how they print, and a small collector the front ends and validate() share. */
import type { Diagnostic, Severity, SourcePos } from "./model.ts";

/** `FILE:LINE:COL: severity: message`, the shape compilers and editors understand. */
export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`;
}

/** Collects diagnostics in the order they are found. */
export class Diagnostics {
  readonly list: Diagnostic[] = [];

  /** Records one diagnostic at `pos`. */
  add(pos: SourcePos, severity: Severity, message: string): void {
    this.list.push({ file: pos.file, line: pos.line, col: pos.col, severity, message });
  }
  /** Records an error at `pos`. */
  error(pos: SourcePos, message: string): void {
    this.add(pos, "error", message);
  }
  /** Records a warning at `pos`. */
  warning(pos: SourcePos, message: string): void {
    this.add(pos, "warning", message);
  }
  /** Records a note at `pos`. */
  note(pos: SourcePos, message: string): void {
    this.add(pos, "note", message);
  }
}

/**
 * Sorts diagnostics by file, then line, then column; stable for equal positions. File names
 * compare by code unit: `localeCompare` would load ICU's collator, 17 ms of the daemon's start.
 */
export function sortDiagnostics(diags: Diagnostic[]): Diagnostic[] {
  const byFile = (a: string, b: string) => a < b ? -1 : a > b ? 1 : 0;
  return diags
    .map((d, i) => ({ d, i }))
    .sort((a, b) =>
      byFile(a.d.file, b.d.file) || a.d.line - b.d.line || a.d.col - b.d.col || a.i - b.i
    )
    .map((x) => x.d);
}
