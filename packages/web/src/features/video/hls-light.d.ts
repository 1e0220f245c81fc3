/** hls.js's light build (no subtitles, alternate audio or DRM: a live show needs none) has the full build's API. */
declare module 'hls.js/light' {
  import Hls from 'hls.js';
  export default Hls;
}
