// "Trace the letter"'s score under node (letters.ts, bundled by esbuild): a trail on the
// letter scores 100, one beside it or only part of it scores less, none scores 0.
import assert from "node:assert/strict";
import path from "node:path";
import { test } from "node:test";
import * as esbuild from "esbuild";
import { app } from "./helpers.mjs";

const bundle = await esbuild.build({ entryPoints: [path.join(app, "src", "letters.ts")], bundle: true, format: "esm", write: false, platform: "neutral" });
const { kLetters, resample, scoreTrace } = await import(`data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0].text).toString("base64")}`);

test("a trail along each letter scores 100, an empty one 0", () => {
  for (const [letter, strokes] of Object.entries(kLetters)) {
    const trail = strokes.map((stroke) => resample([stroke], 0.03));
    assert.equal(scoreTrace(strokes, trail).score, 100, letter);
    assert.equal(scoreTrace(strokes, []).score, 0, letter);
  }
});

test("a trail of another letter, beside the letter or over half of it scores less", () => {
  const l = kLetters.L;
  const shifted = l.map((stroke) => stroke.map((p) => ({ x: p.x + 0.3, y: p.y })));
  assert.ok(scoreTrace(l, shifted).score < 50, `shifted: ${scoreTrace(l, shifted).score}`);
  const m = scoreTrace(l, kLetters.M.map((stroke) => resample([stroke], 0.03)));
  assert.ok(m.score < 40, `M over L: ${m.score}`);
  // Letters share parts (C is most of O), but on average another letter scores about half.
  const names = Object.keys(kLetters);
  const others = names.flatMap((a) => names.filter((b) => b !== a).map((b) => scoreTrace(kLetters[a], kLetters[b].map((stroke) => resample([stroke], 0.03))).score));
  const mean = others.reduce((sum, score) => sum + score, 0) / others.length;
  assert.ok(mean < 60, `another letter scores ${mean.toFixed(1)} on average`);
  const half = scoreTrace(l, [resample([l[0].slice(0, 2)], 0.03)]);
  assert.ok(half.coverage > 0.4 && half.coverage < 0.7 && half.accuracy === 1, JSON.stringify(half));
  // A little hand shake stays near.
  const shaky = l.map((stroke) => resample([stroke], 0.03).map((p, i) => ({ x: p.x + (i % 2 ? 0.04 : -0.04), y: p.y })));
  assert.ok(scoreTrace(l, shaky).score >= 95, `shaky: ${scoreTrace(l, shaky).score}`);
});
