import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/ui.tsx';

/** Copies `value`; where the clipboard is not available, selects the text to copy by hand. */
function CopyButton({ value, target, testId }: { value: string; target: string; testId: string }) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState(false);
  const selectText = () => {
    const node = document.querySelector(`[data-testid="${target}"]`);
    const selection = window.getSelection();
    if (!node || !selection) return;
    const range = document.createRange();
    range.selectNodeContents(node);
    selection.removeAllRanges();
    selection.addRange(range);
  };
  return (
    <Button
      variant="secondary"
      className="btn-small"
      data-testid={testId}
      onClick={() => {
        if (!navigator.clipboard) {
          selectText();
          return;
        }
        navigator.clipboard.writeText(value).then(() => {
          setCopied(true);
          setTimeout(() => setCopied(false), 2500);
        }, selectText);
      }}
    >
      {copied ? t('control.copied') : t('control.copy')}
    </Button>
  );
}

/** For OBS 30+ (or any WHIP encoder): the server URL and the stream key as bearer token. */
export function ObsSetup({ whipUrl, streamKey }: { whipUrl: string; streamKey: string }) {
  const { t } = useTranslation();
  const [shown, setShown] = useState(false);
  return (
    <section className="card" data-testid="stream-key-box" aria-labelledby="obs-h">
      <h2 id="obs-h">{t('control.obs')}</h2>
      <ol className="obs-steps">
        <li>{t('obs.step1')}</li>
        <li>{t('obs.step2')}</li>
        <li>{t('obs.step3')}</li>
        <li>{t('obs.step4')}</li>
        <li>{t('obs.step5')}</li>
      </ol>
      <div className="obs-field">
        <span>{t('obs.server')}</span>
        <div className="stream-key">
          <code data-testid="whip-url">{whipUrl}</code>
          <CopyButton value={whipUrl} target="whip-url" testId="copy-whip-url" />
        </div>
      </div>
      <div className="obs-field">
        <span>{t('obs.token')}</span>
        <div className="stream-key">
          <code data-testid="stream-key">
            {shown ? streamKey : '•'.repeat(Math.min(24, streamKey.length))}
          </code>
          <Button
            variant="secondary"
            className="btn-small"
            onClick={() => setShown((s) => !s)}
            data-testid="stream-key-toggle"
          >
            {shown ? t('control.hide') : t('control.show')}
          </Button>
          <CopyButton value={streamKey} target="stream-key" testId="copy-stream-key" />
        </div>
      </div>
      <p className="muted">{t('obs.secret')}</p>
    </section>
  );
}
