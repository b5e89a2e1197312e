import { useState } from 'preact/hooks';
import { ApiError } from './api-client.js';
import { type FieldErrors, fieldForParam } from './validation.js';

/** Puts a server validation error next to its field, or above the form when it names none. */
export function serverErrors(err: unknown, fields: readonly string[]): { fieldErrors: FieldErrors; formError: string | null } {
  if (err instanceof ApiError && err.status === 400) {
    const field = fieldForParam(err.param, fields);
    if (field) return { fieldErrors: { [field]: err.message }, formError: null };
  }
  return { fieldErrors: {}, formError: err instanceof Error ? err.message : String(err) };
}

/**
 * The submit cycle every edit form shares: validate before sending, send, then show the
 * server's field errors beside their fields (or above the form). `busy` stays set after a
 * success: the form is closing.
 */
export function useFormSubmit<Body, Saved>(
  fields: readonly string[],
  validate: () => { body?: Body; errors: FieldErrors },
  save: (body: Body) => Promise<Saved>,
  onSaved: (saved: Saved) => void,
) {
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const { body, errors: found } = validate();
    setErrors(found);
    setFormError(null);
    if (!body) return;
    setBusy(true);
    try {
      onSaved(await save(body));
    } catch (err) {
      const mapped = serverErrors(err, fields);
      setErrors(mapped.fieldErrors);
      setFormError(mapped.formError);
      setBusy(false);
    }
  };
  /** An error goes away once its field is edited; the next submit checks again. */
  const clearError = (field: string) => setErrors(({ [field]: _, ...rest }) => rest);
  return { errors, formError, busy, submit, clearError };
}
