import { LIMITS } from '@cunbo/shared';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useLocation } from 'wouter';
import type { ChatLine } from './live-room-state.ts';

/** Chat lines as plain text (React escapes them): never HTML from viewers. */
export function ChatList({ lines, className }: { lines: ChatLine[]; className?: string }) {
  const { t } = useTranslation();
  const ref = useRef<HTMLOListElement>(null);
  const stick = useRef(true);

  useLayoutEffect(() => {
    const el = ref.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  return (
    <ol
      className={['chat-list', className].filter(Boolean).join(' ')}
      ref={ref}
      data-testid="chat-list"
      aria-live="polite"
      aria-label={t('live.chat')}
      onScroll={(e) => {
        const el = e.currentTarget;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
      }}
    >
      {lines.map((line) => (
        <li
          key={line.id}
          className={line.author.isHost ? 'chat-line host' : 'chat-line'}
          data-testid="chat-line"
        >
          <span className="chat-author">
            {line.author.isHost && <span className="host-tag">{t('live.host')}</span>}
            {line.author.displayName}
          </span>
          <span className="chat-text">{line.text}</span>
        </li>
      ))}
    </ol>
  );
}

/** The chat box: disabled with "sign in to chat" for anonymous viewers. */
export function ChatInput({
  canChat,
  signedIn,
  connected,
  ended,
  onSend,
  error,
}: {
  canChat: boolean;
  signedIn: boolean;
  connected: boolean;
  ended: boolean;
  onSend: (text: string) => boolean;
  error?: string | null;
}) {
  const { t } = useTranslation();
  const [location] = useLocation();
  const [text, setText] = useState('');
  const [note, setNote] = useState<string | null>(null);

  useEffect(() => {
    if (!note) return;
    const timer = setTimeout(() => setNote(null), 4000);
    return () => clearTimeout(timer);
  }, [note]);

  if (!signedIn) {
    return (
      <div className="chat-form">
        <input
          className="chat-input"
          data-testid="chat-input"
          disabled
          placeholder={t('live.signInToChat')}
          aria-label={t('live.signInToChat')}
        />
        <Link
          href={`/signin?next=${encodeURIComponent(location)}`}
          className="btn btn-primary btn-small"
          data-testid="chat-signin"
        >
          {t('auth.signIn')}
        </Link>
      </div>
    );
  }
  const disabled = !canChat || ended;
  const length = [...text].length;
  return (
    <form
      className="chat-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!text.trim()) return;
        if (onSend(text)) setText('');
        else
          setNote(
            connected ? t('live.chatTooLong', { max: LIMITS.chatTextMax }) : t('live.chatOffline'),
          );
      }}
    >
      <input
        className="chat-input"
        data-testid="chat-input"
        value={text}
        disabled={disabled}
        maxLength={LIMITS.chatTextMax * 2}
        enterKeyHint="send"
        placeholder={ended ? t('live.chatClosed') : t('live.saysomething')}
        aria-label={t('live.saysomething')}
        onChange={(e) => setText(e.target.value)}
      />
      <button
        type="submit"
        className="btn btn-primary btn-small"
        data-testid="chat-send"
        disabled={disabled || !text.trim() || length > LIMITS.chatTextMax}
      >
        {t('live.send')}
      </button>
      {(note ?? error) && (
        <p className="chat-note" role="alert" data-testid="chat-error">
          {note ?? error}
        </p>
      )}
      {length > LIMITS.chatTextMax - 20 && (
        <span className="chat-count" aria-live="polite">
          {length}/{LIMITS.chatTextMax}
        </span>
      )}
    </form>
  );
}
