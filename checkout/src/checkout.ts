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

const DECLINE_WORDS: Record<string, string> = {
  insufficient_funds: 'Your card has insufficient funds. Try another card.',
  expired_card: 'Your card has expired. Try another card.',
  incorrect_cvc: 'The security code is incorrect. Check it and try again.',
  processing_error: 'We could not process your card. Please try again.',
  do_not_honor: 'Your card was declined. Try another card or contact your bank.',
  fraudulent: 'This payment was declined. Try another card.',
};

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: (Node | string)[]) {
  const node = document.createElement(tag);
  Object.assign(node, props);
  node.append(...children);
  return node;
}

function showState(title: string, text: string): void {
  root.replaceChildren(el('section', { className: 'state' }, el('h1', {}, title), el('p', {}, text)));
}

function field(id: string, label: string, attrs: Partial<HTMLInputElement>): { wrap: HTMLElement; input: HTMLInputElement; error: HTMLElement } {
  const input = el('input', { id, name: id, ...attrs });
  const error = el('p', { className: 'field-error', id: `${id}-error` });
  input.setAttribute('aria-describedby', error.id);
  return { wrap: el('div', {}, el('label', { htmlFor: id }, label), input, error), input, error };
}

function render(intent: PublicIntent): void {
  if (intent.status === 'succeeded') return showState('Already paid', 'This payment has already been completed. Thank you!');
  if (intent.status === 'canceled') return showState('Checkout canceled', 'This checkout was canceled by the merchant.');
  if (intent.status === 'expired') return showState('Checkout expired', 'This checkout link has expired. Please ask the merchant for a new one.');
  if (intent.status === 'failed') return showState('Payment not possible', 'Too many attempts failed for this checkout. Please contact the merchant.');

  const number = field('card-number', 'Card number', { inputMode: 'numeric', autocomplete: 'cc-number', placeholder: '1234 1234 1234 1234', required: true });
  const expiry = field('card-expiry', 'Expiry (MM/YY)', { inputMode: 'numeric', autocomplete: 'cc-exp', placeholder: 'MM/YY', required: true });
  const cvv = field('card-cvv', 'Security code', { inputMode: 'numeric', autocomplete: 'cc-csc', placeholder: '123', required: true });
  const name = field('card-name', 'Name on card', { autocomplete: 'cc-name' });
  const email = intent.customer_email ? null : field('email', 'Email', { type: 'email', autocomplete: 'email', required: true });
  const alert = el('div', { className: 'alert', hidden: true });
  alert.setAttribute('role', 'alert');
  const payLabel = `Pay ${formatAmount(intent.amount, intent.currency)}`;
  const button = el('button', { type: 'submit' }, payLabel);
  const form = el('form', { noValidate: true }, number.wrap, el('div', { className: 'row' }, expiry.wrap, cvv.wrap), name.wrap, ...(email ? [email.wrap] : []), button, alert);
  form.setAttribute('aria-label', 'Card payment');
  const cancel = el('a', { className: 'cancel', href: `/checkout/${encodeURIComponent(intent.id)}/cancel?client_secret=${encodeURIComponent(clientSecret)}` }, 'Cancel and return to the merchant');

  root.replaceChildren(
    el('p', { className: 'merchant' }, intent.merchant_name),
    el('h1', { className: 'amount' }, formatAmount(intent.amount, intent.currency)),
    ...(intent.description ? [el('p', { className: 'description' }, intent.description)] : []),
    form,
    cancel,
  );

  const check = (f: { input: HTMLInputElement; error: HTMLElement }, message: string | null) => {
    f.error.textContent = message ?? '';
    f.input.setAttribute('aria-invalid', message ? 'true' : 'false');
    return message === null;
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    alert.hidden = true;
    const digits = number.input.value.replace(/[\s-]/g, '');
    const [mm, yy] = expiry.input.value.split('/').map((p) => p.trim());
    const month = Number(mm);
    const year = 2000 + Number(yy);
    const now = new Date();
    const expiryOk = Number.isInteger(month) && month >= 1 && month <= 12 && /^\d{2}$/.test(yy ?? '') &&
      (year > now.getFullYear() || (year === now.getFullYear() && month >= now.getMonth() + 1));
    const cvvLength = /^3[47]/.test(digits) ? 4 : 3;
    const valid = [
      check(number, /^\d{12,19}$/.test(digits) && luhnValid(digits) ? null : 'Enter a valid card number.'),
      check(expiry, expiryOk ? null : 'Enter a valid expiry date in the future (MM/YY).'),
      check(cvv, new RegExp(`^\\d{${cvvLength}}$`).test(cvv.input.value.trim()) ? null : `Enter the ${cvvLength}-digit security code.`),
      email ? check(email, /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.input.value.trim()) ? null : 'Enter a valid email address.') : true,
    ].every(Boolean);
    if (!valid) {
      (form.querySelector('[aria-invalid="true"]') as HTMLInputElement | null)?.focus();
      return;
    }

    button.disabled = true;
    button.replaceChildren(el('span', { className: 'spinner' }), 'Processing…');
    button.setAttribute('aria-busy', 'true');
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
      const code = body.error?.code ?? '';
      if (response.status === 410 || code === 'already_completed') return void (await load());
      alert.textContent = DECLINE_WORDS[body.error?.decline_code ?? ''] ?? body.error?.message ?? 'Something went wrong. Please try again.';
      alert.hidden = false;
    } catch {
      alert.textContent = 'We could not reach the payment service. Check your connection and try again.';
      alert.hidden = false;
    }
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.replaceChildren(payLabel);
  });
  number.input.focus();
}

async function load(): Promise<void> {
  try {
    const response = await fetch(`${api}?client_secret=${encodeURIComponent(clientSecret)}`);
    if (response.status === 401 || response.status === 404) return showState('Link not valid', 'This checkout link is not valid. Please ask the merchant for a new one.');
    if (!response.ok) return showState('Something went wrong', 'Please reload the page in a moment.');
    render((await response.json()) as PublicIntent);
  } catch {
    showState('Something went wrong', 'We could not reach the payment service. Please reload the page.');
  }
}

void load();
