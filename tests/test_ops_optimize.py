"""optimize_pdf on the local engine."""

from __future__ import annotations

import inspect
import io

import pikepdf
import pytest

from batchproc import Client, errors
from tests.factories import page_texts
from tests.factories_rest import colour_page_pdf, form_pdf, image_pdf, rendered_pixel


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


def test_mrc_compression_is_refused_by_the_local_engine():
    with pytest.raises(errors.UnsupportedOperationError, match="mrc_compression"):
        Client().optimize_pdf(image_pdf(pages=1, pixels=(40, 30)), mrc_compression=True)


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


def test_direct_method_takes_the_dws_client_parameters_in_order():
    assert list(inspect.signature(Client.optimize_pdf).parameters) == [
        "self", "input_file", "output_path", "grayscale_text", "grayscale_graphics", "grayscale_images",
        "grayscale_form_fields", "grayscale_annotations", "disable_images", "mrc_compression",
        "image_optimization_quality", "linearize", "password"]


def is_gray(pixel: tuple[int, int, int]) -> bool:
    return max(pixel) - min(pixel) <= 2


@pytest.mark.parametrize(
    "options, text_gray, box_gray, frame_gray, annotation_gray",
    [
        ({"grayscale_text": True}, True, False, False, False),
        ({"grayscale_graphics": True}, False, True, True, False),
        ({"grayscale_text": True, "grayscale_graphics": True}, True, True, True, False),
        ({"grayscale_annotations": True}, False, False, False, True),
    ],
)
def test_grayscale_options_convert_only_what_they_name(options, text_gray, box_gray, frame_gray, annotation_gray):
    out = Client().optimize_pdf(colour_page_pdf(), **options)
    text = rendered_pixel(out, 80, 712)  # inside the R of the headline
    assert text != (255, 255, 255) and is_gray(text) == text_gray
    assert is_gray(rendered_pixel(out, 150, 550)) == box_gray
    frame = rendered_pixel(out, 300, 550)
    assert frame != (255, 255, 255) and is_gray(frame) == frame_gray
    assert is_gray(rendered_pixel(out, 450, 150)) == annotation_gray
    assert "RED HEADLINE" in page_texts(out)[0]


def test_grayscale_form_fields_grays_widget_appearances_and_defaults():
    filled = Client().apply_xfdf(form_pdf(), "<xfdf><fields><field name='name'><value>Joe</value></field></fields></xfdf>")
    before = rendered_pixel(filled, 200, 662, forms=True)
    assert not is_gray(before)  # reportlab's light blue field background
    out = Client().optimize_pdf(filled, grayscale_form_fields=True)
    assert is_gray(rendered_pixel(out, 200, 662, forms=True))
    with pikepdf.open(io.BytesIO(out)) as pdf:
        widget = next(a for a in pdf.pages[0].Annots if a.get("/T") == "name")
        assert len(widget.MK.BG) == 1


def test_shadings_cannot_be_made_gray_faithfully():
    pdf = pikepdf.new()
    shading = pikepdf.Dictionary(ShadingType=2, ColorSpace=pikepdf.Name.DeviceRGB, Coords=[0, 0, 100, 0],
                                 Function=pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[1, 0, 0],
                                                             C1=[0, 0, 1], N=1))
    pdf.add_blank_page()
    pdf.pages[0].obj.Resources = pikepdf.Dictionary(Shading=pikepdf.Dictionary(Sh0=shading))
    pdf.pages[0].obj.Contents = pdf.make_stream(b"/Sh0 sh")
    data = io.BytesIO()
    pdf.save(data)
    with pytest.raises(errors.UnsupportedOperationError, match="shadings"):
        Client().optimize_pdf(data.getvalue(), grayscale_graphics=True)
    assert Client().optimize_pdf(data.getvalue(), grayscale_text=True)  # no text: nothing to refuse
