/** What replaces a sensitive value in every rendering: plans, journals, messages. */
export const sensitiveMask = '(sensitive value)';

/** Values shorter than this are not searched for: redacting "a" would mangle every message. */
const shortest = 4;

/**
 * The sensitive values a command holds, and every text form a server or a library may echo
 * them in: as they are, base64 (standard, unpadded and URL-safe, as DGate stores secrets),
 * JSON-escaped (inside an echoed request body) and URL-encoded. `redact` replaces each form
 * with the mask.
 */
export class Redactor {
  private readonly forms = new Set<string>();
  private pattern: RegExp | undefined;

  add(value: string): void {
    if (value.length < shortest) return;
    const base64 = Buffer.from(value, 'utf8').toString('base64');
    const candidates = [
      value,
      base64,
      base64.replace(/=+$/, ''),
      Buffer.from(value, 'utf8').toString('base64url'),
      JSON.stringify(value).slice(1, -1),
      encodeURIComponent(value),
    ];
    let grew = false;
    for (const form of candidates) {
      if (form.length >= shortest && !this.forms.has(form)) {
        this.forms.add(form);
        grew = true;
      }
    }
    if (grew) this.pattern = undefined;
  }

  get size(): number {
    return this.forms.size;
  }

  redact(text: string): string {
    if (this.forms.size === 0 || text.length === 0) return text;
    // Longest first, so that a form containing another is masked whole.
    this.pattern ??= new RegExp(
      [...this.forms]
        .sort((a, b) => b.length - a.length)
        .map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|'),
      'g',
    );
    return text.replace(this.pattern, sensitiveMask);
  }
}
