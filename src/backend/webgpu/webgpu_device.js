// The webgpu backend's JavaScript half (an Emscripten --js-library): the only
// code that touches WebGPU. The C++ half (webgpu_backend.cc) plans a segment
// into a program (WGSL sources, an arena of activations, packed weights, one
// dispatch per op) and hands it over as JSON; this file turns it into GPU
// buffers, pipelines and bind groups once, and runs it as one command buffer
// with one read-back. Emscripten 3.1.6's own WebGPU glue (-sUSE_WEBGPU) is too
// old for current browsers, so WebGPU is driven from here.
//
// The functions that wait for the GPU (adapter, device, compilation, the
// read-back) are ASYNCIFY imports: the C++ caller stays synchronous while the
// module suspends to the event loop. Each returns a negative number and
// writes the reason into the caller's buffer on failure.
//
// Where the GPU comes from: Module.gpu when given (Dawn for node, the `webgpu`
// npm package), else navigator.gpu (a page or a dedicated worker).
mergeInto(LibraryManager.library, {
  $HTGPU: {
    device: null,
    adapter: null,
    adapterText: '',
    isFallback: false,
    f16: false,
    lostReason: null,
    uncaptured: null,
    programs: [null],
    // Image slots for pre-processing on the GPU (htgpu_image_*): {buffer, device, size}.
    images: [null],
    // Fault bits, as webgpu_backend.cc sets them (test hooks).
    kNoGpu: 1,
    kNoAdapter: 2,
    kRequestDevice: 4,
    kShader: 8,
    kOutOfMemory: 16,
    kDeviceLost: 32,
    fail: function (message, errPtr, errLen) {
      stringToUTF8(String(message).replace(/\s+/g, ' ').trim(), errPtr, errLen);
      return -1;
    },
    gpu: function () {
      if (Module['gpu']) return Module['gpu'];
      return typeof navigator !== 'undefined' && navigator ? navigator.gpu : undefined;
    },
    // The storage, uniform and entry point every shader shares; S is the
    // storage type of activations and weights (f16 where the device has
    // shader-f16 and the segment asked for half precision).
    // A source with its own entry point (a workgroup reduction, say) gets no main().
    prelude: function (f16, withMain) {
      return (f16 ? 'enable f16;\nalias S = f16;\n' : 'alias S = f32;\n') +
        '@group(0) @binding(0) var<storage, read_write> act: array<S>;\n' +
        '@group(0) @binding(1) var<storage, read> wts: array<S>;\n' +
        '@group(0) @binding(2) var<uniform> u: array<vec4<u32>, 16>;\n' +
        '@group(0) @binding(3) var<storage, read_write> io: array<f32>;\n' +
        'fn P(k: u32) -> u32 { return u[k >> 2u][k & 3u]; }\n' +
        'fn PF(k: u32) -> f32 { return bitcast<f32>(P(k)); }\n' +
        (withMain ? '' : '// main() is the shader\'s own\n') +
        (!withMain ? '' : '@compute @workgroup_size(64)\n' +
        'fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {\n' +
        '  let i = gid.x + gid.y * groups.x * 64u;\n' +
        '  if (i >= P(0u)) { return; }\n' +
        '  run(i);\n' +
        '}\n');
    },
    // The program's dispatches as one compute pass (a pipeline is set only when it changes).
    // `sampled` (a sampled run): its frames' sampling dispatches replace that input's copy.
    encode: function (encoder, program, sampled) {
      var pass = encoder.beginComputePass();
      var pipeline = null;
      for (var k = 0; k < program.steps.length; ++k) {
        if (sampled && k === sampled.step) {
          pass.setPipeline(program.sampler.pipeline);
          pipeline = program.sampler.pipeline;
          for (var f = 0; f < sampled.frames.length; ++f) {
            pass.setBindGroup(0, sampled.frames[f].bindGroup);
            pass.dispatchWorkgroups(sampled.frames[f].x, sampled.frames[f].y);
          }
          continue;
        }
        var step = program.steps[k];
        if (step.pipeline !== pipeline) {
          pass.setPipeline(step.pipeline);
          pipeline = step.pipeline;
        }
        pass.setBindGroup(0, step.bindGroup);
        pass.dispatchWorkgroups(step.x, step.y);
      }
      pass.end();
    },
    // Workgroups of 64 for `threads` threads, as (x, y) within the per-dimension limit.
    groupsFor: function (threads) {
      var groups = Math.max(1, Math.ceil(threads / 64));
      var x = Math.min(groups, 65535);
      return { x: x, y: Math.ceil(groups / x) };
    },
    // A sampled run's GPU objects: the table uploaded into the program's table
    // buffer, and per frame a bind group (arena, its image, its table block).
    prepareSampling: function (program, input, tablePtr, frames, blockWords) {
      var device = program.device;
      var words = frames * blockWords;
      if (!program.sampleTable || program.sampleTable.size < words * 4) {
        if (program.sampleTable) program.sampleTable.destroy();
        program.sampleTable = device.createBuffer({ size: words * 4, usage: 0x80 | 0x08 });
      }
      device.queue.writeBuffer(program.sampleTable, 0, HEAPU32, tablePtr >> 2, words);
      if (!HTGPU.emptyImage || HTGPU.emptyImage.device !== device) {
        HTGPU.emptyImage = { device: device, buffer: device.createBuffer({ size: 16, usage: 0x80 }) };
      }
      var sampled = { step: program.desc.inputs[input].step, frames: [] };
      for (var f = 0; f < frames; ++f) {
        var header = (tablePtr >> 2) + f * blockWords;
        var id = HEAPU32[header + 3] ? HEAPU32[header + 11] : 0;
        var slot = id ? HTGPU.images[id] : HTGPU.emptyImage;
        if (!slot || slot.device !== device || !slot.buffer) return 'image ' + id + ' is not on this WebGPU device (upload it first)';
        var size = HTGPU.groupsFor(HEAPU32[header] * HEAPU32[header + 1]);
        sampled.frames.push({
          bindGroup: device.createBindGroup({
            layout: program.sampler.layout,
            entries: [
              { binding: 0, resource: { buffer: program.arena } },
              { binding: 1, resource: { buffer: slot.buffer } },
              { binding: 2, resource: { buffer: program.sampleTable, offset: f * blockWords * 4, size: blockWords * 4 } },
            ],
          }),
          x: size.x,
          y: size.y,
        });
      }
      return sampled;
    },
    // What htgpu_run and htgpu_run_sampled share (`sampling`: null, or the
    // sampled input and its table): 0, or -1 with the reason.
    run: async function (id, ioPtrs, faults, errPtr, errLen, sampling) {
      var fail = function (message) { return HTGPU.fail(message, errPtr, errLen); };
      var program = HTGPU.programs[id];
      if (!program) return fail('no GPU program ' + id);
      var device = program.device;
      if (HTGPU.device !== device || HTGPU.lostReason !== null) {
        return fail('the WebGPU device was lost (' + (HTGPU.lostReason || 'replaced by a new device') + ')');
      }
      var desc = program.desc;
      var slot = ioPtrs >> 2;
      // Benchmarks that set Module.profileDispatches get the run's phases (Module.runPhases, ms summed).
      var phases = Module['profileDispatches'] ? (Module['runPhases'] = Module['runPhases'] || { runs: 0, upload: 0, encode: 0, submit: 0, wait: 0, copyOut: 0 }) : null;
      var mark = phases ? performance.now() : 0;
      var lap = function (name) {
        if (!phases) return;
        var now = performance.now();
        phases[name] += now - mark;
        mark = now;
      };
      for (var i = 0; i < desc.inputs.length; ++i) {
        if (sampling && i === sampling.input) continue;  // made on the GPU
        var input = desc.inputs[i];
        device.queue.writeBuffer(program.io, input.io * 4, HEAPF32, HEAP32[slot + i] >> 2, input.count);
      }
      var sampled = null;
      if (sampling) {
        if (!program.sampler) return fail('the GPU program samples no input');
        sampled = HTGPU.prepareSampling(program, sampling.input, sampling.tablePtr, sampling.frames, sampling.blockWords);
        if (typeof sampled === 'string') return fail(sampled);
      }
      lap('upload');
      var encoder = device.createCommandEncoder();
      HTGPU.encode(encoder, program, sampled);
      encoder.copyBufferToBuffer(program.io, desc.outputBase * 4, program.readback, 0, program.outBytes);
      lap('encode');
      device.queue.submit([encoder.finish()]);
      lap('submit');
      // The device goes away while the work is in flight, for real.
      if (faults & HTGPU.kDeviceLost) device.destroy();
      try {
        await program.readback.mapAsync(1);
      } catch (error) {
        // device.lost settles in a later task: name the loss when it is the cause.
        await new Promise(function (resolve) { setTimeout(resolve, 0); });
        var why = HTGPU.lostReason !== null ? 'the WebGPU device was lost (' + HTGPU.lostReason + ')' : String(error && error.message ? error.message : error);
        return fail('failed to read back the outputs: ' + why + ((faults & HTGPU.kDeviceLost) ? ' (fault injected: test hook)' : ''));
      }
      lap('wait');
      var data = new Float32Array(program.readback.getMappedRange());
      for (var o = 0; o < desc.outputs.length; ++o) {
        var output = desc.outputs[o];
        var start = output.io - desc.outputBase;
        HEAPF32.set(data.subarray(start, start + output.count), HEAP32[slot + desc.inputs.length + o] >> 2);
      }
      program.readback.unmap();
      if (phases) {
        lap('copyOut');
        phases.runs += 1;
        if (sampling) phases.sampled = (phases.sampled || 0) + 1;
      }
      if (HTGPU.uncaptured !== null) {
        var message = HTGPU.uncaptured;
        HTGPU.uncaptured = null;
        return fail('WebGPU error during the run: ' + message);
      }
      return 0;
    },
    // float32 -> IEEE half bits, rounding to nearest even.
    toHalf: function (value) {
      var f = HTGPU.scratchF32 || (HTGPU.scratchF32 = new Float32Array(1));
      var bits = HTGPU.scratchU32 || (HTGPU.scratchU32 = new Uint32Array(f.buffer));
      f[0] = value;
      var x = bits[0];
      var sign = (x >>> 16) & 0x8000;
      var exponent = (x >>> 23) & 0xff;
      var mantissa = x & 0x7fffff;
      if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
      var e = exponent - 127 + 15;
      if (e >= 0x1f) return sign | 0x7c00;
      if (e <= 0) {
        if (e < -10) return sign;
        mantissa |= 0x800000;
        var shift = 14 - e;
        var half = mantissa >>> shift;
        var rest = mantissa & ((1 << shift) - 1);
        var halfway = 1 << (shift - 1);
        if (rest > halfway || (rest === halfway && (half & 1))) half += 1;
        return sign | half;
      }
      var h = (e << 10) | (mantissa >>> 13);
      var low = mantissa & 0x1fff;
      if (low > 0x1000 || (low === 0x1000 && (h & 1))) h += 1;
      return sign | h;
    },
  },

  // 1 when a WebGPU entry point exists here (navigator.gpu or Module.gpu), else 0. Synchronous.
  htgpu_present__deps: ['$HTGPU'],
  htgpu_present: function () {
    return HTGPU.gpu() ? 1 : 0;
  },

  // Gets (once) an adapter and a device. Returns bit 0: shader-f16, bit 1: a fallback
  // (software) adapter; -1 on failure.
  htgpu_acquire__deps: ['$HTGPU'],
  htgpu_acquire: function (allowFallback, faults, errPtr, errLen) {
    return Asyncify.handleAsync(async function () {
      var fail = function (message) { return HTGPU.fail(message, errPtr, errLen); };
      var injected = ' (fault injected: test hook)';
      if (HTGPU.device === null || HTGPU.lostReason !== null || (faults & (HTGPU.kNoGpu | HTGPU.kNoAdapter | HTGPU.kRequestDevice))) {
        var gpu = (faults & HTGPU.kNoGpu) ? undefined : HTGPU.gpu();
        if (!gpu) return fail('navigator.gpu is missing (this browser or worker offers no WebGPU)' + ((faults & HTGPU.kNoGpu) ? injected : ''));
        var adapter = null;
        if (!(faults & HTGPU.kNoAdapter)) {
          try {
            adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
          } catch (error) {
            return fail('requestAdapter() failed: ' + (error && error.message ? error.message : error));
          }
        }
        if (!adapter) return fail('WebGPU has no adapter here (requestAdapter() gave null)' + ((faults & HTGPU.kNoAdapter) ? injected : ''));
        var info = adapter.info || {};
        var isFallback = adapter.isFallbackAdapter === true || info.isFallbackAdapter === true;
        var text = [info.vendor, info.architecture, info.description].filter(function (s) { return s; }).join(' ') || 'unnamed adapter';
        var f16 = adapter.features.has('shader-f16');
        var limits = {
          maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
          maxBufferSize: adapter.limits.maxBufferSize,
        };
        // A limit beyond the adapter's makes requestDevice() reject for real.
        if (faults & HTGPU.kRequestDevice) limits.maxBufferSize = adapter.limits.maxBufferSize * 2 + 4;
        var device;
        try {
          device = await adapter.requestDevice({ requiredFeatures: f16 ? ['shader-f16'] : [], requiredLimits: limits });
        } catch (error) {
          return fail('requestDevice() failed on ' + text + ': ' + (error && error.message ? error.message : error) +
                      ((faults & HTGPU.kRequestDevice) ? injected : ''));
        }
        if (!device) return fail('requestDevice() gave no device on ' + text);
        if (HTGPU.device !== null && HTGPU.lostReason === null && HTGPU.device !== device) {
          // A faulted acquire above replaced nothing; keep the working device.
        }
        HTGPU.device = device;
        HTGPU.adapter = adapter;
        HTGPU.adapterText = text;
        HTGPU.isFallback = isFallback;
        HTGPU.f16 = f16;
        HTGPU.lostReason = null;
        HTGPU.uncaptured = null;
        device.lost.then(function (lost) {
          if (HTGPU.device === device) HTGPU.lostReason = (lost && lost.message) || (lost && lost.reason) || 'unknown reason';
        });
        if (typeof device.addEventListener === 'function') {
          device.addEventListener('uncapturederror', function (event) {
            if (HTGPU.device === device) HTGPU.uncaptured = event.error && event.error.message ? event.error.message : String(event.error);
          });
        }
      }
      if (HTGPU.isFallback && !allowFallback) {
        return fail('the only WebGPU adapter is a fallback (software) adapter (' + HTGPU.adapterText +
                    '); set webgpu.allow_fallback_adapter=1 to use it');
      }
      return (HTGPU.f16 ? 1 : 0) | (HTGPU.isFallback ? 2 : 0);
    });
  },

  // The adapter's name, for plans and reports.
  htgpu_adapter_text__deps: ['$HTGPU'],
  htgpu_adapter_text: function (outPtr, outLen) {
    stringToUTF8(HTGPU.adapterText + (HTGPU.isFallback ? ' (fallback adapter)' : ''), outPtr, outLen);
  },

  // Builds a program from its JSON description (webgpu_backend.cc) and the
  // weights (float32 in the heap). Returns its id (> 0) or -1.
  htgpu_compile__deps: ['$HTGPU'],
  htgpu_compile: function (jsonPtr, weightsPtr, weightCount, faults, errPtr, errLen) {
    return Asyncify.handleAsync(async function () {
      var fail = function (message) { return HTGPU.fail(message, errPtr, errLen); };
      var device = HTGPU.device;
      if (device === null || HTGPU.lostReason !== null) {
        return fail('the WebGPU device is gone (' + (HTGPU.lostReason || 'never acquired') + ')');
      }
      var desc = JSON.parse(UTF8ToString(jsonPtr));
      var f16 = desc.f16 === true;
      var element = f16 ? 2 : 4;
      var roundUp = function (bytes) { return Math.max(16, Math.ceil(bytes / 16) * 16); };
      var STORAGE = 0x80, UNIFORM = 0x40, COPY_SRC = 0x04, COPY_DST = 0x08, MAP_READ = 0x01;
      device.pushErrorScope('out-of-memory');
      device.pushErrorScope('validation');
      var program = { device: device, desc: desc };
      var sourceError = null;
      try {
        program.arena = device.createBuffer({ size: roundUp(desc.arena * element), usage: STORAGE | COPY_SRC | COPY_DST });
        program.io = device.createBuffer({ size: roundUp(desc.io * 4), usage: STORAGE | COPY_SRC | COPY_DST });
        program.outBytes = (desc.io - desc.outputBase) * 4;
        program.readback = device.createBuffer({ size: roundUp(program.outBytes), usage: MAP_READ | COPY_DST });
        program.weights = device.createBuffer({ size: roundUp(weightCount * element), usage: STORAGE, mappedAtCreation: true });
        var weights = HEAPF32.subarray(weightsPtr >> 2, (weightsPtr >> 2) + weightCount);
        if (f16) {
          var halves = new Uint16Array(program.weights.getMappedRange());
          for (var w = 0; w < weightCount; ++w) halves[w] = HTGPU.toHalf(weights[w]);
        } else {
          new Float32Array(program.weights.getMappedRange()).set(weights);
        }
        program.weights.unmap();
        var dispatches = desc.dispatches;
        program.uniforms = device.createBuffer({ size: Math.max(1, dispatches.length) * 256, usage: UNIFORM, mappedAtCreation: true });
        var words = new Uint32Array(program.uniforms.getMappedRange());
        for (var d = 0; d < dispatches.length; ++d) words.set(dispatches[d].params, d * 64);
        program.uniforms.unmap();

        var layout = device.createBindGroupLayout({
          entries: [
            { binding: 0, visibility: 4, buffer: { type: 'storage' } },
            { binding: 1, visibility: 4, buffer: { type: 'read-only-storage' } },
            { binding: 2, visibility: 4, buffer: { type: 'uniform' } },
            { binding: 3, visibility: 4, buffer: { type: 'storage' } },
          ],
        });
        var pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
        var pipelines = {};
        var names = Object.keys(desc.shaders);
        for (var s = 0; s < names.length; ++s) {
          var source = desc.shaders[names[s]];
          var code = HTGPU.prelude(f16, source.indexOf('@compute') < 0) + source;
          // A source that does not compile, for real.
          if ((faults & HTGPU.kShader) && s === 0) code += '\nfn broken( { this is not WGSL }\n';
          var module = device.createShaderModule({ code: code, label: names[s] });
          var compiled = await module.getCompilationInfo();
          var errors = compiled.messages.filter(function (m) { return m.type === 'error'; });
          if (errors.length > 0) {
            sourceError = 'failed to compile WGSL shader ' + names[s] + ': ' + errors.map(function (m) {
              return m.lineNum + ':' + m.linePos + ' ' + m.message;
            }).join('; ') + ((faults & HTGPU.kShader) ? ' (fault injected: test hook)' : '');
            break;
          }
          pipelines[names[s]] = device.createComputePipeline({ layout: pipelineLayout, compute: { module: module, entryPoint: 'main' } });
        }
        if (sourceError === null && desc.sampler) {
          // The image sampling shader (image_sampling.cc), with a layout of its own.
          var samplerModule = device.createShaderModule({ code: (f16 ? 'enable f16;\nalias S = f16;\n' : 'alias S = f32;\n') + desc.sampler, label: 'sample_image' });
          var samplerInfo = await samplerModule.getCompilationInfo();
          var samplerErrors = samplerInfo.messages.filter(function (m) { return m.type === 'error'; });
          if (samplerErrors.length > 0) {
            sourceError = 'failed to compile WGSL shader sample_image: ' + samplerErrors.map(function (m) {
              return m.lineNum + ':' + m.linePos + ' ' + m.message;
            }).join('; ');
          } else {
            var samplerLayout = device.createBindGroupLayout({
              entries: [
                { binding: 0, visibility: 4, buffer: { type: 'storage' } },
                { binding: 1, visibility: 4, buffer: { type: 'read-only-storage' } },
                { binding: 2, visibility: 4, buffer: { type: 'read-only-storage' } },
              ],
            });
            program.sampler = {
              layout: samplerLayout,
              pipeline: device.createComputePipeline({
                layout: device.createPipelineLayout({ bindGroupLayouts: [samplerLayout] }),
                compute: { module: samplerModule, entryPoint: 'main' },
              }),
            };
          }
        }
        program.steps = [];
        if (sourceError === null) {
          for (var k = 0; k < dispatches.length; ++k) {
            var size = HTGPU.groupsFor(dispatches[k].threads);
            program.steps.push({
              pipeline: pipelines[dispatches[k].shader],
              bindGroup: device.createBindGroup({
                layout: layout,
                entries: [
                  { binding: 0, resource: { buffer: program.arena } },
                  { binding: 1, resource: { buffer: program.weights } },
                  { binding: 2, resource: { buffer: program.uniforms, offset: k * 256, size: 256 } },
                  { binding: 3, resource: { buffer: program.io } },
                ],
              }),
              x: size.x,
              y: size.y,
            });
          }
        }
      } catch (error) {
        sourceError = sourceError || ('failed to create GPU objects: ' + (error && error.message ? error.message : error));
      }
      var validation = await device.popErrorScope();
      var memory = await device.popErrorScope();
      var release = function () {
        ['arena', 'io', 'readback', 'weights', 'uniforms', 'sampleTable'].forEach(function (b) { if (program[b]) program[b].destroy(); });
      };
      if (faults & HTGPU.kOutOfMemory) {
        // WebGPU reports out of memory through this error scope; the test hook
        // stands in for a GPU whose memory is full.
        memory = { message: 'createBuffer: out of GPU memory (fault injected: test hook)' };
      }
      if (memory) {
        release();
        return fail('out of GPU memory: ' + memory.message);
      }
      if (sourceError !== null) {
        release();
        return fail(sourceError);
      }
      if (validation) {
        release();
        return fail('WebGPU validation failed: ' + validation.message);
      }
      HTGPU.programs.push(program);
      return HTGPU.programs.length - 1;
    });
  },

  // Runs a program: the segment's inputs from the heap (pointers at
  // ioPtrs[0..inputs)), one command buffer, one read-back into the outputs'
  // pointers (ioPtrs[inputs..]). 0 or -1.
  htgpu_run__deps: ['$HTGPU'],
  htgpu_run: function (id, ioPtrs, faults, errPtr, errLen) {
    return Asyncify.handleAsync(function () { return HTGPU.run(id, ioPtrs, faults, errPtr, errLen, null); });
  },

  // As htgpu_run, with input `input` sampled from images on the GPU (image_sampling.cc).
  htgpu_run_sampled__deps: ['$HTGPU'],
  htgpu_run_sampled: function (id, ioPtrs, input, tablePtr, frames, blockWords, faults, errPtr, errLen) {
    return Asyncify.handleAsync(function () {
      return HTGPU.run(id, ioPtrs, faults, errPtr, errLen, { input: input, tablePtr: tablePtr, frames: frames, blockWords: blockWords });
    });
  },

  // Benchmarks: submits the program's dispatches `replays` times on the data
  // already on the GPU and waits; milliseconds per replay, or -1.
  htgpu_time_replays__deps: ['$HTGPU'],
  htgpu_time_replays: function (id, replays) {
    return Asyncify.handleAsync(async function () {
      var program = HTGPU.programs[id];
      if (!program || HTGPU.device !== program.device || HTGPU.lostReason !== null) return -1;
      var device = program.device;
      var start = performance.now();
      for (var r = 0; r < replays; ++r) {
        var encoder = device.createCommandEncoder();
        HTGPU.encode(encoder, program);
        device.queue.submit([encoder.finish()]);
      }
      await device.queue.onSubmittedWorkDone();
      var perReplay = (performance.now() - start) / replays;
      // Benchmarks that set Module.profileDispatches get each dispatch's time too
      // (Module.dispatchProfile): the dispatch alone, repeated in one pass, so the
      // figure includes the barrier between dispatches but no submission.
      if (Module['profileDispatches']) {
        var repeats = 20, profile = [];
        for (var k = 0; k < program.steps.length; ++k) {
          var step = program.steps[k], spec = program.desc.dispatches[k];
          var begin = performance.now();
          for (var t = 0; t < 5; ++t) {
            var profileEncoder = device.createCommandEncoder();
            var pass = profileEncoder.beginComputePass();
            pass.setPipeline(step.pipeline);
            pass.setBindGroup(0, step.bindGroup);
            for (var q = 0; q < repeats; ++q) pass.dispatchWorkgroups(step.x, step.y);
            pass.end();
            device.queue.submit([profileEncoder.finish()]);
          }
          await device.queue.onSubmittedWorkDone();
          profile.push({ shader: spec.shader, threads: spec.threads, params: spec.params.slice(1), ms: (performance.now() - begin) / (5 * repeats) });
        }
        Module['dispatchProfile'] = profile;
      }
      return perReplay;
    });
  },

  // Image slots for pre-processing on the GPU: a buffer of 8-bit pixels per uploader.
  htgpu_image_create__deps: ['$HTGPU'],
  htgpu_image_create: function () {
    HTGPU.images.push({ buffer: null, device: null, size: 0 });
    return HTGPU.images.length - 1;
  },

  // Queues the bytes into the slot's buffer (queue order puts them before any
  // later run). A buffer that cannot be made reports through the run's errors.
  htgpu_image_upload__deps: ['$HTGPU'],
  htgpu_image_upload: function (id, bytesPtr, byteCount, errPtr, errLen) {
    var slot = HTGPU.images[id];
    if (!slot) return HTGPU.fail('no image slot ' + id, errPtr, errLen);
    var device = HTGPU.device;
    if (device === null || HTGPU.lostReason !== null) {
      return HTGPU.fail('the WebGPU device is gone (' + (HTGPU.lostReason || 'never acquired') + ')', errPtr, errLen);
    }
    try {
      if (slot.device !== device || slot.size < byteCount) {
        if (slot.buffer) slot.buffer.destroy();
        slot.size = Math.max(16, byteCount);
        slot.buffer = device.createBuffer({ size: slot.size, usage: 0x80 | 0x08 });
        slot.device = device;
      }
      device.queue.writeBuffer(slot.buffer, 0, HEAPU8, bytesPtr, byteCount);
    } catch (error) {
      return HTGPU.fail('writeBuffer failed: ' + (error && error.message ? error.message : error), errPtr, errLen);
    }
    return 0;
  },

  htgpu_image_release__deps: ['$HTGPU'],
  htgpu_image_release: function (id) {
    var slot = HTGPU.images[id];
    if (slot && slot.buffer) slot.buffer.destroy();
    HTGPU.images[id] = null;
  },

  htgpu_release__deps: ['$HTGPU'],
  htgpu_release: function (id) {
    var program = HTGPU.programs[id];
    if (!program) return;
    ['arena', 'io', 'readback', 'weights', 'uniforms', 'sampleTable'].forEach(function (b) { if (program[b]) program[b].destroy(); });
    HTGPU.programs[id] = null;
  },
});
