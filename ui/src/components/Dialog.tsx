// A modal dialog on the native <dialog> element: showModal() traps focus and makes the page inert, Escape
// closes it, and focus goes back to where it was when it closes.
import { useEffect, useId, useRef, type ReactNode } from 'react';

export function Dialog({
  open,
  title,
  onClose,
  children,
  actions,
  wide = false,
}: {
  wide?: boolean;
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
  actions: ReactNode;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const back = useRef<Element | null>(null);
  const id = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      back.current = document.activeElement;
      d.showModal();
    } else if (!open && d.open) {
      d.close();
      (back.current as HTMLElement | null)?.focus?.();
    }
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={`${id}-title`}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      className={wide ? 'dialog wide' : 'dialog'}
    >
      {open && (
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
          }}
        >
          <h2 id={`${id}-title`}>{title}</h2>
          <div className="dialog-body">{children}</div>
          <div className="dialog-actions">{actions}</div>
        </form>
      )}
    </dialog>
  );
}
