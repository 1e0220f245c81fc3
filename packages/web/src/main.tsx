import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/app.tsx';
import { setApiLang } from './api/client.ts';
import { htmlLangOf, initI18n, storedLang } from './i18n/index.ts';
import './styles.css';

const lang = storedLang();
document.documentElement.lang = htmlLangOf(lang);
setApiLang(lang);
initI18n(lang);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
