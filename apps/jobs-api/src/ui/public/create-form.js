// The form that creates a job (POST /api/v2/jobs) and hands it to the board at once.

/**
 * @param {HTMLFormElement} form
 * @param {HTMLElement} errorLine
 * @param {import('./api.js').Api} api
 * @param {(job: import('./job-row.js').Job) => void} onCreated
 * @param {(error: unknown) => void} onError a failure that is not the API refusing the input (network, 401)
 */
export function wireCreateForm(form, errorLine, api, onCreated, onError) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    errorLine.textContent = '';
    const data = new FormData(form);
    /** @type {Record<string, unknown>} */
    const body = { scenesTotal: Number(data.get('scenesTotal')) };
    const title = String(data.get('title') ?? '').trim();
    const clientId = String(data.get('clientId') ?? '').trim();
    if (title !== '') body.title = title;
    if (clientId !== '') body.clientId = clientId;
    const button = form.querySelector('button');
    if (button) button.disabled = true;
    api
      .post('/api/v2/jobs', body)
      .then((response) => {
        if (response.status === 201) {
          onCreated(response.body);
          form.reset();
        } else {
          errorLine.textContent = messageOf(response.status, response.body);
        }
      }, onError)
      .finally(() => {
        if (button) button.disabled = false;
      });
  });
}

/** @param {number} status @param {any} body */
function messageOf(status, body) {
  const message = body?.message;
  const text = Array.isArray(message) ? message.join('; ') : typeof message === 'string' ? message : '';
  return `Not created (${status})${text ? `: ${text}` : ''}`;
}
