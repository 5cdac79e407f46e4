/**
 * The hosted checkout page. It reads the client secret from its URL, shows the intent through the
 * public API, checks the card in the browser (the server checks again), confirms, and redirects.
 * No framework, no third-party request: everything comes from the gateway's own origin.
 */

interface PublicIntent {
  id: string;
  status: 'created' | 'succeeded' | 'canceled' | 'expired' | 'failed';
  amount: number;
  currency: string;
  description: string | null;
  merchant_name: string;
  customer_email: string | null;
  expires_at: string;
}

interface ApiErrorBody {
  error?: { code?: string; decline_code?: string; message?: string; param?: string };
}

const root = document.getElementById('checkout') as HTMLElement;
const intentId = root.dataset['intentId'] ?? '';
const clientSecret = new URLSearchParams(location.search).get('client_secret') ?? '';
const api = `/api/public/payment-intents/${encodeURIComponent(intentId)}`;

/** `$99.99`, `€50.00`, `99.99 MAD`. */
export function formatAmount(minor: number, currency: string): string {
  const major = (minor / 100).toFixed(2);
  if (currency === 'USD') return `$${major}`;
  if (currency === 'EUR') return `€${major}`;
  return `${major} ${currency}`;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return digits.length >= 12 && sum % 10 === 0;
}

/** The customer's words for each decline code of the issuer (API.md test cards) and the fraud check. */
const DECLINE_WORDS: Record<string, string> = {
  insufficient_funds: 'Your card has insufficient funds. Try another card.',
  expired_card: 'Your card has expired. Try another card.',
  incorrect_cvc: 'The security code is incorrect. Check it and try again.',
  processing_error: 'We could not process your card. Please try again.',
  do_not_honor: 'Your card was declined. Try another card or contact your bank.',
  fraudulent: 'This payment was declined. Try another card.',
};

/** The customer's words for the other errors a confirm can meet. */
const ERROR_WORDS: Record<string, string> = {
  invalid_state: 'This payment is already being processed, perhaps in another window. Wait a moment, then reload the page.',
  rate_limit_exceeded: 'Too many attempts in a short time. Wait a few seconds and try again.',
};

type FieldName = 'number' | 'expiry' | 'cvv' | 'email';

/** The words under each field when its check fails, here or on the server. */
const FIELD_WORDS: Record<FieldName, string> = {
  number: 'Enter a valid card number.',
  expiry: 'Enter a valid expiry date in the future (MM/YY).',
  cvv: 'Enter the security code on your card.',
  email: 'Enter a valid email address.',
};

/** Which field a server-side error belongs to: the server checks everything again. */
const FIELD_OF_PARAM: Record<string, FieldName> = {
  'card.number': 'number',
  'card.exp_month': 'expiry',
  'card.exp_year': 'expiry',
  'card.cvv': 'cvv',
  customer_email: 'email',
};

/** `12/29`, `12 / 29`, `1229` or `12/2029` → month and four-digit year; null if it is none of those. */
export function parseExpiry(text: string): { month: number; year: number } | null {
  const match = /^(\d{1,2})\s*\/?\s*(\d{2}|\d{4})$/.exec(text.trim());
  if (!match) return null;
  const month = Number(match[1]);
  const year = match[2]!.length === 2 ? 2000 + Number(match[2]) : Number(match[2]);
  return month >= 1 && month <= 12 ? { month, year } : null;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

/** A page without a form: its heading takes the focus, so a screen reader reads what happened. */
function showState(title: string, text: string, back?: { href: string; label: string }): void {
  const heading = el('h1', { tabIndex: -1 }, title);
  root.replaceChildren(el('section', { className: 'state' }, heading, el('p', {}, text), ...(back ? [el('a', { className: 'back', href: back.href }, back.label)] : [])));
  document.title = title;
  heading.focus();
}

function field(id: string, label: string, attrs: Partial<HTMLInputElement>): { wrap: HTMLElement; input: HTMLInputElement; error: HTMLElement } {
  const input = el('input', { id, name: id, ...attrs });
  const error = el('p', { className: 'field-error', id: `${id}-error` });
  input.setAttribute('aria-describedby', error.id);
  return { wrap: el('div', {}, el('label', { htmlFor: id }, label), input, error), input, error };
}

const invalidLink = () => showState('Link not valid', 'This checkout link is not valid. Please ask the merchant for a new one.');

function render(intent: PublicIntent): void {
  // The gateway's cancel route checks the secret and redirects to the merchant's cancel_url.
  const cancelHref = `/checkout/${encodeURIComponent(intent.id)}/cancel?client_secret=${encodeURIComponent(clientSecret)}`;
  const back = { href: cancelHref, label: intent.merchant_name ? `Return to ${intent.merchant_name}` : 'Return to the merchant' };
  if (intent.status === 'succeeded') return showState('Already paid', 'This payment has already been completed. Thank you!');
  if (intent.status === 'canceled') return showState('Checkout canceled', 'This checkout was canceled by the merchant.', back);
  if (intent.status === 'expired') return showState('Checkout expired', 'This checkout link has expired. Please ask the merchant for a new one.', back);
  if (intent.status === 'failed') return showState('Payment not possible', 'Too many attempts failed for this checkout. Please contact the merchant.', back);

  const number = field('card-number', 'Card number', { inputMode: 'numeric', autocomplete: 'cc-number', placeholder: '1234 1234 1234 1234', required: true, maxLength: 23, spellcheck: false });
  const expiry = field('card-expiry', 'Expiry (MM/YY)', { inputMode: 'numeric', autocomplete: 'cc-exp', placeholder: 'MM/YY', required: true, maxLength: 9, spellcheck: false });
  const cvv = field('card-cvv', 'Security code', { inputMode: 'numeric', autocomplete: 'cc-csc', placeholder: '123', required: true, maxLength: 4, spellcheck: false });
  const name = field('card-name', 'Name on card', { autocomplete: 'cc-name', maxLength: 200, spellcheck: false });
  const email = intent.customer_email ? null : field('email', 'Email', { type: 'email', autocomplete: 'email', required: true, maxLength: 254, spellcheck: false });
  const alert = el('div', { className: 'alert', hidden: true });
  alert.setAttribute('role', 'alert');
  const amount = formatAmount(intent.amount, intent.currency);
  const payLabel = `Pay ${amount}`;
  const button = el('button', { type: 'submit' }, payLabel);
  const form = el('form', { noValidate: true }, number.wrap, el('div', { className: 'row' }, expiry.wrap, cvv.wrap), name.wrap, ...(email ? [email.wrap] : []), button, alert);
  form.setAttribute('aria-label', 'Card payment');
  const cancel = el('a', { className: 'cancel', href: cancelHref }, 'Cancel and return to the merchant');
  document.title = intent.merchant_name ? `Pay ${amount} to ${intent.merchant_name}` : `Pay ${amount}`;

  root.replaceChildren(
    el('p', { className: 'merchant' }, intent.merchant_name),
    el('h1', { className: 'amount' }, amount),
    ...(intent.description ? [el('p', { className: 'description' }, intent.description)] : []),
    form,
    cancel,
  );

  const check = (f: { input: HTMLInputElement; error: HTMLElement }, message: string | null) => {
    f.error.textContent = message ?? '';
    f.input.setAttribute('aria-invalid', message ? 'true' : 'false');
    return message === null;
  };

  const fields = { number, expiry, cvv, email };
  /** Puts a server-side field error under its field; false if it belongs to no field of the form. */
  const showServerError = (param: string | undefined): boolean => {
    const which = param === undefined ? undefined : FIELD_OF_PARAM[param];
    const target = which === undefined ? null : fields[which];
    if (!which || !target) return false;
    check(target, FIELD_WORDS[which]);
    target.input.focus();
    return true;
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    alert.hidden = true;
    const digits = number.input.value.replace(/[\s-]/g, '');
    const parsed = parseExpiry(expiry.input.value);
    const month = parsed?.month ?? 0;
    const year = parsed?.year ?? 0;
    const now = new Date();
    const expiryOk = parsed !== null && (year > now.getFullYear() || (year === now.getFullYear() && month >= now.getMonth() + 1));
    const cvvLength = /^3[47]/.test(digits) ? 4 : 3;
    const valid = [
      check(number, /^\d{12,19}$/.test(digits) && luhnValid(digits) ? null : FIELD_WORDS.number),
      check(expiry, expiryOk ? null : FIELD_WORDS.expiry),
      check(cvv, new RegExp(`^\\d{${cvvLength}}$`).test(cvv.input.value.trim()) ? null : `Enter the ${cvvLength}-digit security code.`),
      email ? check(email, /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.input.value.trim()) ? null : FIELD_WORDS.email) : true,
    ].every(Boolean);
    if (!valid) {
      (form.querySelector('[aria-invalid="true"]') as HTMLInputElement | null)?.focus();
      return;
    }

    button.disabled = true;
    const spinner = el('span', { className: 'spinner' });
    spinner.setAttribute('aria-hidden', 'true');
    button.replaceChildren(spinner, 'Processing…');
    button.setAttribute('aria-busy', 'true');
    let focusAfter: HTMLInputElement | null = number.input;
    try {
      const response = await fetch(`${api}/confirm`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_secret: clientSecret,
          card: { number: digits, exp_month: month, exp_year: year, cvv: cvv.input.value.trim(), ...(name.input.value.trim() ? { holder_name: name.input.value.trim() } : {}) },
          ...(email ? { customer_email: email.input.value.trim() } : {}),
        }),
      });
      const body = (await response.json()) as { redirect_url?: string } & ApiErrorBody;
      if (response.ok && body.redirect_url) {
        location.assign(body.redirect_url);
        return;
      }
      const error = body.error ?? {};
      const code = error.code ?? '';
      if (response.status === 410 || code === 'already_completed') return void (await load());
      if (code === 'invalid_client_secret') return invalidLink();
      if (response.status === 400 && showServerError(error.param)) {
        focusAfter = null;
      } else {
        alert.textContent = DECLINE_WORDS[error.decline_code ?? ''] ?? ERROR_WORDS[code] ?? error.message ?? 'Something went wrong. Please try again.';
        alert.hidden = false;
        if (error.decline_code === 'incorrect_cvc') focusAfter = cvv.input;
      }
    } catch {
      alert.textContent = 'We could not reach the payment service. Check your connection and try again.';
      alert.hidden = false;
    }
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.replaceChildren(payLabel);
    // Back to the card, to correct it or type another (the alert is read out by its role).
    focusAfter?.focus();
    focusAfter?.select();
  });
  number.input.focus();
}

async function load(): Promise<void> {
  // The script moves the focus to what changed from now on; a live region over the whole page
  // would read the entire form aloud.
  root.removeAttribute('aria-live');
  try {
    const response = await fetch(`${api}?client_secret=${encodeURIComponent(clientSecret)}`);
    if (response.status === 401 || response.status === 404) return invalidLink();
    if (!response.ok) return showState('Something went wrong', 'Please reload the page in a moment.');
    render((await response.json()) as PublicIntent);
  } catch {
    showState('Something went wrong', 'We could not reach the payment service. Please reload the page.');
  }
}

void load();
