"""convert_to_images and extract_text on the local engine."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from batchproc import Client, errors
from tests.factories import text_pdf
from tests.factories_rest import form_pdf


def test_convert_to_images_one_png_per_page_at_the_asked_dpi(tmp_path):
    images = Client().convert_to_images(text_pdf(pages=3), dpi=72)
    assert len(images) == 3
    for data in images:
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "PNG" and image.size == (612, 792)


@pytest.mark.parametrize("fmt, pil_format", [("jpeg", "JPEG"), ("jpg", "JPEG"), ("webp", "WEBP")])
def test_convert_to_images_formats_and_width(fmt, pil_format):
    [data] = Client().convert_to_images(text_pdf(pages=2), format=fmt, pages={"start": -1}, width=306)
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == pil_format and image.size == (306, 396)


def test_convert_to_images_height_keeps_aspect_and_dark_text_is_drawn():
    [data] = Client().convert_to_images(text_pdf(pages=1), height=1584)
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (1224, 1584)
        assert image.convert("L").getextrema()[0] < 80  # the text is rendered, not a blank page


def test_convert_to_images_writes_page_suffixed_files(tmp_path):
    src = tmp_path / "report.pdf"
    text_pdf(src, pages=3)
    assert Client().convert_to_images(src, tmp_path, pages={"start": 1, "end": 2}) == []
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["report_page2.png", "report_page3.png"]


def test_convert_to_images_refuses_width_and_height_and_huge_pages():
    with pytest.raises(errors.OperationError, match="width or height, not both"):
        Client().convert_to_images(text_pdf(pages=1), width=10, height=10)
    with pytest.raises(errors.OperationError, match="exactly one of width, height and dpi"):
        Client().convert_to_images(text_pdf(pages=1), width=10, dpi=300)
    with pytest.raises(errors.ResourceError, match="million pixels"):
        Client().convert_to_images(text_pdf(pages=1), dpi=1200)


def test_extract_text_plain_and_json():
    src = text_pdf(pages=3, text="Ledger")
    text = Client().extract_text(src)
    pages = text.split("\f")
    assert [p.splitlines()[0] for p in pages] == ["Ledger page 1", "Ledger page 2", "Ledger page 3"]
    body = Client().extract_text(src, pages={"start": 1, "end": -1}, output="json")
    assert [p["pageIndex"] for p in body["pages"]] == [1, 2]
    assert body["pages"][0]["plainText"].startswith("Ledger page 2")


def test_extract_text_bad_range_is_a_page_range_error():
    with pytest.raises(errors.PageRangeError, match="comes after its end"):
        Client().extract_text(text_pdf(pages=3), pages={"start": 2, "end": 0})


def test_images_and_text_over_a_batch(tmp_path):
    inputs = []
    for n in range(3):
        path = tmp_path / f"doc{n}.pdf"
        text_pdf(path, pages=2, text=f"Doc{n}")
        inputs.append(path)
    out = tmp_path / "out"
    images = Client().batch_process(inputs, [{"method": "convert_to_images", "params": {"dpi": 36}}],
                                    output_dir=out, parallel="process", max_workers=2)
    assert images.failed == [] and len(images.successful) == 3
    for _, paths in images.successful:
        assert [p.suffix for p in paths] == [".png", ".png"]
        with Image.open(paths[0]) as image:
            assert image.size == (306, 396)
    texts = Client().batch_process(inputs, [{"method": "extract_text", "params": {"output": "json"}}],
                                   output_dir=out, parallel=False)
    for source, [path] in texts.successful:
        assert path.suffix == ".json"
        assert json.loads(path.read_text())["pages"][1]["plainText"].startswith(f"{source.stem.title()} page 2")


def test_convert_to_images_draws_form_fields_and_annotations():
    filled = Client().apply_xfdf(form_pdf(), (
        "<xfdf><annots><square page='0' rect='400,400,500,500' color='#FF0000' interior-color='#FF0000'/></annots>"
        "<fields><field name='name'><value>WWWWWWWW</value></field></fields></xfdf>"))
    [data] = Client().convert_to_images(filled, dpi=72)
    with Image.open(io.BytesIO(data)) as image:
        rgb = image.convert("RGB")
        assert rgb.getpixel((450, 792 - 450)) == (255, 0, 0)  # the square annotation
        assert rgb.crop((72, 792 - 674, 322, 792 - 650)).convert("L").getextrema()[0] < 80  # the field's text
