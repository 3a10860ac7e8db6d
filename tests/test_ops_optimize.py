"""optimize_pdf on the local engine."""

from __future__ import annotations

import io

import pikepdf
import pytest

from batchproc import Client, errors
from tests.factories import page_texts
from tests.factories_rest import image_pdf


class Shown:
    """What a test needs to know about one image of a PDF."""

    def __init__(self, image: pikepdf.PdfImage) -> None:
        self.width, self.height, self.mode = image.width, image.height, image.mode
        self.filters, self.colorspace = image.filters, str(image.colorspace)


def images(data: bytes) -> list[Shown]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return [Shown(pikepdf.PdfImage(image)) for page in pdf.pages for image in page.get_images().values()]


def test_default_optimisation_recompresses_images_and_keeps_text():
    src = image_pdf(pages=2)
    out = Client().optimize_pdf(src)
    assert len(out) < len(src) / 2
    found = images(out)
    assert [(i.width, i.height, i.filters) for i in found] == [(1200, 900, ["/DCTDecode"])] * 2  # 288 dpi: kept
    assert page_texts(out)[1].startswith("Figure page 2")


def test_highest_quality_level_downsamples_to_150_dpi_and_shrinks_more():
    src = image_pdf(pages=1)
    level2 = Client().optimize_pdf(src, image_optimization_quality=2)
    level4 = Client().optimize_pdf(src, image_optimization_quality=4)
    [image] = images(level4)
    assert (image.width, image.height) == (625, 469)  # 300 x 225 pt at 150 dpi
    assert len(level4) < len(level2)


def test_grayscale_images_and_linearize():
    out = Client().optimize_pdf(image_pdf(pages=1), grayscale_images=True, linearize=True)
    [image] = images(out)
    assert image.mode == "L" and image.colorspace == "/DeviceGray"
    with pikepdf.open(io.BytesIO(out)) as pdf:
        assert pdf.is_linearized


def test_disable_images_removes_them_from_the_pages():
    out = Client().optimize_pdf(image_pdf(pages=2), disable_images=True)
    assert images(out) == []
    assert len(out) < 5_000
    assert page_texts(out)[0].startswith("Figure page 1")


@pytest.mark.parametrize("option", ["grayscale_text", "grayscale_graphics", "grayscale_form_fields",
                                    "grayscale_annotations", "mrc_compression"])
def test_options_the_local_engine_cannot_honour_are_refused(option):
    with pytest.raises(errors.UnsupportedOperationError, match=option):
        Client().optimize_pdf(image_pdf(pages=1, pixels=(40, 30)), **{option: True})


def test_quality_outside_1_to_4_fails_before_work():
    with pytest.raises(errors.OperationError, match="must be 1, 2, 3 or 4"):
        Client().optimize_pdf(image_pdf(pages=1, pixels=(40, 30)), image_optimization_quality=5)


def test_optimize_over_a_batch(tmp_path):
    inputs = []
    for n in range(3):
        path = tmp_path / f"scan{n}.pdf"
        image_pdf(path, pages=1, pixels=(600, 450))
        inputs.append(path)
    result = Client().batch_process(inputs, [{"method": "optimize_pdf", "params": {
        "image_optimization_quality": 3, "grayscale_images": True}}], output_dir=tmp_path / "out", parallel=False)
    assert result.failed == [] and len(result.successful) == 3
    for source, path in result.successful:
        assert path.stat().st_size < source.stat().st_size
        [image] = images(path.read_bytes())
        assert image.mode == "L"
