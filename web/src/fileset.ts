// MediaPipe's FilesetResolver: where the WebAssembly files are.

import type { WasmFileset } from "./types.js";

/** The folder this module was loaded from: dist/, which holds every file of the package. */
export function packageBasePath(): string {
  return new URL("./", import.meta.url).href;
}

function asFolder(path: string): string {
  const absolute = new URL(path, globalThis.location?.href ?? packageBasePath()).href;
  return absolute.endsWith("/") ? absolute : `${absolute}/`;
}

/** The folder of handtrack's files named by a fileset (ours, or one written by hand). */
export function filesetBasePath(fileset: WasmFileset | undefined): string {
  if (fileset?.handtrackBasePath !== undefined) return asFolder(fileset.handtrackBasePath);
  const loader = fileset?.wasmLoaderPath;
  if (loader !== undefined && /handtrack_(st|mt)\.js$/.test(loader)) {
    return new URL("./", new URL(loader, globalThis.location?.href ?? packageBasePath())).href;
  }
  return packageBasePath();
}

export class FilesetResolver {
  /** True when this browser runs WebAssembly SIMD128, which both builds need. */
  static async isSimdSupported(_useModule?: boolean): Promise<boolean> {
    // (module (func (result v128) (v128.const i32x4 0 0 0 0)))
    const probe = new Uint8Array([
      0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0,
      0, 0, 0, 0, 0, 0, 0, 0, 11,
    ]);
    return WebAssembly.validate(probe);
  }

  /**
   * The fileset for HandLandmarker.createFromOptions. basePath: the folder
   * that holds handtrack_{st,mt}.{js,wasm}, handtrack_mt.worker.js,
   * handtrack.worker.js and models/ (the package's dist/ folder as served).
   * Omitted, or pointing at MediaPipe's own tasks-vision files (code that only
   * changed its import still passes MediaPipe's CDN folder), it is the folder
   * this module was loaded from. useModule is accepted for parity and ignored.
   */
  static async forVisionTasks(basePath?: string, _useModule?: boolean): Promise<WasmFileset> {
    const folder = basePath === undefined || /tasks-vision/.test(basePath) ? packageBasePath() : asFolder(basePath);
    return {
      wasmLoaderPath: `${folder}handtrack_st.js`,
      wasmBinaryPath: `${folder}handtrack_st.wasm`,
      handtrackBasePath: folder,
    };
  }
}
