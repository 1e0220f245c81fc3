import { LIMITS } from '@cunbo/shared';
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { LiveSocket, type ConnectionInfo } from '../../api/live-socket.ts';
import { LIKE_FLUSH_MS, LikeBatcher, othersLikes } from '../../lib/like-batcher.ts';
import type { LiveEvent } from '../../lib/event-sequencer.ts';
import {
  initialRoomState,
  roomReducer,
  type RoomAction,
  type RoomState,
} from './live-room-state.ts';

const TOAST_MS = 4000;
const ERROR_MS = 6000;

export interface LiveRoom {
  room: RoomState;
  connection: ConnectionInfo;
  dispatch: (action: RoomAction) => void;
  /** False when the text could not go (not connected, empty, too long). */
  sendChat(text: string): boolean;
  like(): void;
  /** Called for each like event from the room (to float hearts). */
  onLikes(listener: ((count: number) => void) | null): void;
}

/** Joins a live room over WebSocket for as long as the component is mounted. */
export function useLiveRoom(liveId: string, opts: { sessionKey: string }): LiveRoom {
  const [room, dispatch] = useReducer(roomReducer, initialRoomState);
  const [connection, setConnection] = useState<ConnectionInfo>({ state: 'connecting', attempt: 0 });
  const socketRef = useRef<LiveSocket | null>(null);
  const batcher = useRef(new LikeBatcher());
  const likeListener = useRef<((count: number) => void) | null>(null);
  const ownLikes = useRef(0);
  const toastTimers = useRef(new Set<ReturnType<typeof setTimeout>>());

  useEffect(() => {
    const timers = toastTimers.current;
    const socket = new LiveSocket({
      liveId,
      onState: setConnection,
      onEvent: (event: LiveEvent) => {
        const now = Date.now();
        dispatch({ type: 'event', event, now });
        if (event.type === 'purchase') {
          const timer = setTimeout(() => {
            timers.delete(timer);
            dispatch({ type: 'toast-expired', id: String(event.seq) });
          }, TOAST_MS);
          timers.add(timer);
        }
        if (event.type === 'like' && event.count > 0) {
          const { others, ownLeft } = othersLikes(event.count, ownLikes.current);
          ownLikes.current = ownLeft;
          if (others > 0) likeListener.current?.(others);
        }
        if (event.type === 'error') {
          const timer = setTimeout(() => {
            timers.delete(timer);
            dispatch({ type: 'clear-error', at: now });
          }, ERROR_MS);
          timers.add(timer);
        }
      },
    });
    socketRef.current = socket;
    socket.connect();

    const flush = setInterval(() => {
      const n = batcher.current.take();
      if (n === 0) return;
      if (socket.send({ type: 'like', count: n })) ownLikes.current += n;
      else batcher.current.tap(n);
    }, LIKE_FLUSH_MS);
    const retry = () => socket.reconnectNow();
    const onVisible = () => document.visibilityState === 'visible' && retry();
    window.addEventListener('online', retry);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(flush);
      window.removeEventListener('online', retry);
      document.removeEventListener('visibilitychange', onVisible);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      socket.close();
      socketRef.current = null;
    };
    // A new session (sign in / out) reconnects so the room knows who we are.
  }, [liveId, opts.sessionKey]);

  const sendChat = useCallback((text: string) => {
    const clean = text.replace(/\s+/g, ' ').trim();
    if (!clean || [...clean].length > LIMITS.chatTextMax) return false;
    return socketRef.current?.send({ type: 'chat', text: clean }) ?? false;
  }, []);

  const like = useCallback(() => {
    batcher.current.tap();
    dispatch({ type: 'liked', count: 1 });
  }, []);

  const onLikes = useCallback((listener: ((count: number) => void) | null) => {
    likeListener.current = listener;
  }, []);

  return { room, connection, dispatch, sendChat, like, onLikes };
}
