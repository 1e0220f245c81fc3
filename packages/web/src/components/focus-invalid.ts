/**
 * After a form refuses to go, bring the first field with a problem into view and focus it:
 * on a phone the message may be far above the button that was tapped.
 */
export function focusFirstInvalid(root: HTMLElement | null | undefined): void {
  requestAnimationFrame(() => {
    const field = root?.querySelector<HTMLElement>(
      '[aria-invalid="true"], .field-invalid select, .field-invalid input',
    );
    if (!field) return;
    field.scrollIntoView({ block: 'center', behavior: 'smooth' });
    field.focus({ preventScroll: true });
  });
}
