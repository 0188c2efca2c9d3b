"""The learning app's back end, the way it would use handtrack: one upload endpoint that returns
the hands of a photo, with one landmarker shared by every request (IMAGE mode is thread-safe,
and inference releases the GIL, so FastAPI's worker threads run detections in parallel).

    uvicorn --app-dir examples/python fastapi_app:app --host 127.0.0.1 --port 8000
    curl -F photo=@hand.jpg http://127.0.0.1:8000/hands

Settings from the environment: HANDTRACK_NUM_HANDS (2), HANDTRACK_DELEGATE (auto),
HANDTRACK_MAX_PHOTO_MB (10)."""
import os

from fastapi import FastAPI, File, HTTPException, UploadFile
from fastapi.concurrency import run_in_threadpool

import handtrack

MAX_PHOTO_BYTES = int(float(os.environ.get("HANDTRACK_MAX_PHOTO_MB", "10")) * 1024 * 1024)

app = FastAPI(title="hands", description="The hands of a photo, found by handtrack")
landmarker = handtrack.HandLandmarker.create_from_options(handtrack.HandLandmarkerOptions(
    base_options=handtrack.BaseOptions(delegate=os.environ.get("HANDTRACK_DELEGATE", "auto")),
    num_hands=int(os.environ.get("HANDTRACK_NUM_HANDS", "2"))))


@app.on_event("shutdown")
def close_landmarker():
    landmarker.close()


@app.get("/healthz")
def healthz():
    return {"ok": True}


@app.post("/hands")
async def hands(photo: UploadFile = File(...)):
    data = await photo.read(MAX_PHOTO_BYTES + 1)
    if len(data) > MAX_PHOTO_BYTES:
        raise HTTPException(413, f"failed to read {photo.filename}: larger than {MAX_PHOTO_BYTES} bytes")
    name = photo.filename or "photo"
    try:
        image = handtrack.Image.create_from_bytes(data, name)
    except RuntimeError as error:  # not a JPEG or PNG, corrupt, too many pixels: the engine says which
        raise HTTPException(415, str(error))
    result = await run_in_threadpool(landmarker.detect, image)
    return {
        "width": image.width,
        "height": image.height,
        "hands": [{
            "handedness": hand.handedness,
            "score": hand.handedness_score,
            "gesture": hand.gesture,
            "finger_count": hand.finger_count,
            "pinch": hand.pinch,
            "landmarks": landmarks.tolist(),
        } for hand, landmarks in zip(result.hands, result.landmarks_array)],
    }
