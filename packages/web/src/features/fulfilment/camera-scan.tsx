import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Button } from '../../components/ui.tsx';

/** The Shape Detection API's barcode reader (Chrome on Android, some desktops); not in TS's DOM lib. */
interface BarcodeDetectorLike {
  detect(source: HTMLVideoElement): Promise<Array<{ rawValue: string }>>;
}
type BarcodeDetectorCtor = new (opts: { formats: string[] }) => BarcodeDetectorLike;

function detectorClass(): BarcodeDetectorCtor | null {
  const ctor = (globalThis as { BarcodeDetector?: BarcodeDetectorCtor }).BarcodeDetector;
  return typeof ctor === 'function' && !!navigator.mediaDevices?.getUserMedia ? ctor : null;
}

/** Labels carry the code as Code 128 and as a QR code; either will do. */
const FORMATS = ['code_128', 'qr_code'];
const EVERY_MS = 250;

/**
 * Scan with the phone's camera where the browser can read barcodes; elsewhere nothing is shown
 * and the text box (which a USB or Bluetooth scanner types into) does the work.
 */
export function CameraScan({ onCode }: { onCode: (code: string) => void }) {
  const { t } = useTranslation();
  const [on, setOn] = useState(false);
  const [failed, setFailed] = useState(false);
  const video = useRef<HTMLVideoElement>(null);
  const onCodeRef = useRef(onCode);
  useEffect(() => {
    onCodeRef.current = onCode;
  });
  const Detector = detectorClass();

  useEffect(() => {
    if (!on || !Detector) return;
    let stream: MediaStream | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let last = '';
    const detector = new Detector({ formats: FORMATS });
    const tick = async () => {
      const el = video.current;
      if (stopped || !el) return;
      try {
        const found = el.readyState >= 2 ? await detector.detect(el) : [];
        const code = found[0]?.rawValue ?? '';
        // The same label stays in view for a while: report it once.
        if (code && code !== last) {
          last = code;
          onCodeRef.current(code);
        }
      } catch {
        // A frame the detector could not read: try the next one.
      }
      timer = setTimeout(() => void tick(), EVERY_MS);
    };
    navigator.mediaDevices
      .getUserMedia({ video: { facingMode: 'environment' }, audio: false })
      .then((s) => {
        if (stopped) {
          s.getTracks().forEach((tr) => tr.stop());
          return;
        }
        stream = s;
        if (video.current) {
          video.current.srcObject = s;
          void video.current.play().catch(() => undefined);
        }
        void tick();
      })
      .catch(() => {
        setFailed(true);
        setOn(false);
      });
    return () => {
      stopped = true;
      clearTimeout(timer);
      stream?.getTracks().forEach((tr) => tr.stop());
    };
  }, [on, Detector]);

  if (!Detector) return null;
  return (
    <div className="camera-scan">
      <Button variant="secondary" block onClick={() => setOn((v) => !v)} data-testid="hub-camera">
        {on ? t('fulfilment.hub.cameraStop') : t('fulfilment.hub.cameraStart')}
      </Button>
      {failed && <p className="muted">{t('fulfilment.hub.cameraFailed')}</p>}
      {on && <video ref={video} className="camera-video" muted playsInline />}
    </div>
  );
}
