import { forwardRef, useCallback, useImperativeHandle, useRef, useState } from 'react';

export interface HeartsHandle {
  burst(count: number): void;
}

interface Heart {
  id: number;
  drift: number;
  hue: number;
  delay: number;
}

const MAX_ON_SCREEN = 24;
const COLORS = [350, 10, 330, 40, 300];

/** Floating hearts over the video. Purely decorative: hidden from screen readers. */
export const Hearts = forwardRef<HeartsHandle>(function Hearts(_props, ref) {
  const [hearts, setHearts] = useState<Heart[]>([]);
  const next = useRef(0);

  const burst = useCallback((count: number) => {
    const n = Math.min(count, 6);
    setHearts((hs) => {
      const added: Heart[] = [];
      for (let i = 0; i < n; i++) {
        added.push({
          id: next.current++,
          drift: Math.round((Math.random() - 0.5) * 60),
          hue: COLORS[next.current % COLORS.length]!,
          delay: i * 120,
        });
      }
      const all = [...hs, ...added];
      return all.length > MAX_ON_SCREEN ? all.slice(all.length - MAX_ON_SCREEN) : all;
    });
  }, []);

  useImperativeHandle(ref, () => ({ burst }), [burst]);

  return (
    <div className="hearts" aria-hidden="true">
      {hearts.map((h) => (
        <span
          key={h.id}
          className="heart"
          style={{
            ['--drift' as string]: `${h.drift}px`,
            color: `hsl(${h.hue} 90% 60%)`,
            animationDelay: `${h.delay}ms`,
          }}
          onAnimationEnd={() => setHearts((hs) => hs.filter((x) => x.id !== h.id))}
        >
          ♥
        </span>
      ))}
    </div>
  );
});
