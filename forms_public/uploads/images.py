"""Re-encode images with Pillow so no EXIF (GPS, camera serials, names) or text chunks survive."""
import io
import warnings

from PIL import Image, ImageOps

from forms_public.uploads.detect import UploadRejected

# ~40 megapixels; larger images are refused rather than decoded (decompression bombs).
MAX_PIXELS = 40_000_000


def strip_metadata(fileobj, *, kind: str) -> bytes:
    """The image re-encoded without metadata (orientation applied first, so it still looks right)."""
    fileobj.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(fileobj) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise UploadRejected("is too large an image (too many pixels).")
                image.load()
                icc_profile = image.info.get("icc_profile")
                image = ImageOps.exif_transpose(image)
                out = io.BytesIO()
                if kind == "jpeg":
                    if image.mode not in ("RGB", "L", "CMYK"):
                        image = image.convert("RGB")
                    image.save(out, "JPEG", quality=92, optimize=True, icc_profile=icc_profile)
                else:
                    image.save(out, "PNG", optimize=False, icc_profile=icc_profile)
    except UploadRejected:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise UploadRejected("is a damaged or unreadable image.") from exc
    finally:
        fileobj.seek(0)
    return out.getvalue()
