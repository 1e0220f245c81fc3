import { useTranslation } from 'react-i18next';
import { isLang, LANGUAGES } from '../i18n/index.ts';
import { useSession } from './session.tsx';

export function LanguageSwitcher({ className }: { className?: string }) {
  const { t } = useTranslation();
  const { lang, setLang } = useSession();
  return (
    <select
      className={['lang-switcher', className].filter(Boolean).join(' ')}
      aria-label={t('app.language')}
      data-testid="language-switcher"
      value={lang}
      onChange={(e) => {
        if (isLang(e.target.value)) setLang(e.target.value);
      }}
    >
      {LANGUAGES.map((l) => (
        <option key={l.code} value={l.code} lang={l.htmlLang}>
          {l.label}
        </option>
      ))}
    </select>
  );
}
