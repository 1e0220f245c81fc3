/**
 * The parts of node-media-server (CommonJS, no types of its own) that the RTMP ingest uses:
 * its protocol layer only (handshake, chunk stream, AMF commands, FLV tags). Its servers,
 * sessions and global context are not loaded.
 */
declare module 'node-media-server/src/core/avpacket.js' {
  class AVPacket {
    /** FLV codec id (7 = AVC, 10 = AAC) or, for enhanced RTMP, the FourCC as a number. */
    codec_id: number;
    /** 8 audio, 9 video, 18 script data. */
    codec_type: number;
    /**
     * 0 audio sequence header, 1 audio frame, 2 video sequence header, 3 keyframe,
     * 4 other video frame, 5 metadata.
     */
    flags: number;
    pts: number;
    dts: number;
    size: number;
    /** The message body; may be longer than `size` and is reused for the next message. */
    data: Buffer;
  }
  export = AVPacket;
}

declare module 'node-media-server/src/protocol/rtmp.js' {
  import type AVPacket from 'node-media-server/src/core/avpacket.js';
  class Rtmp {
    streamId: number;
    onConnectCallback: (req: { app: string; name: string; host: string; query: unknown }) => void;
    onPlayCallback: () => void;
    onPushCallback: () => void;
    onPacketCallback: (packet: AVPacket) => void;
    onOutputCallback: (buffer: Buffer) => void;
    /** Not a callback upstream (a no-op method); replaced per instance to hear the unpublish. */
    onDeleteStream: (invokeMessage: unknown) => void;
    /** Feeds bytes from the socket; an error message, or null. May also throw on garbage. */
    parserData(buffer: Buffer): string | null;
    sendStatusMessage(sid: number, level: string, code: string, description: string): void;
  }
  export = Rtmp;
}

declare module 'node-media-server/src/protocol/flv.js' {
  import type AVPacket from 'node-media-server/src/core/avpacket.js';
  class Flv {
    /** The 13-byte FLV file header (with the first PreviousTagSize). */
    static createHeader(hasAudio: boolean, hasVideo: boolean): Buffer;
    /** One FLV tag (with its PreviousTagSize), copied out of the packet. */
    static createMessage(packet: AVPacket): Buffer;
  }
  export = Flv;
}

declare module 'node-media-server/src/core/logger.js' {
  const logger: { level: string };
  export = logger;
}
