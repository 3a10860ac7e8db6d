import http.server
import io
import threading

import pikepdf
import pytest

from batchproc import Client, Pipeline, errors
from tests.factories import page_texts, text_pdf
from tests.factories_core import damaged_content_pdf, is_embedded, png_image, view_box


def mark_forms(data: bytes) -> list[pikepdf.Stream]:
    """The watermark Form XObject drawn on each page."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        forms = []
        for page in pdf.pages:
            marks = [x for name, x in page.Resources.XObject.items() if name.startswith("/BpMark")]
            assert len(marks) == 1
            forms.append(marks[0].objgen)
        return forms


def fill_alphas(form: pikepdf.Stream) -> list[float]:
    return [float(s.ca) for s in form.Resources.ExtGState.values() if "/ca" in s]


def test_text_mark_is_extractable_on_every_page_in_an_embedded_font_with_opacity():
    out = Client().watermark_pdf(text_pdf(pages=3), text="CONFIDENTIAL", opacity=0.35, font_color="#ff0000")
    assert all("CONFIDENTIAL" in text and "Quarterly report" in text for text in page_texts(out))
    assert len(set(mark_forms(out))) == 1  # one shared mark, not one copy per page
    with pikepdf.open(io.BytesIO(out)) as pdf:
        form = next(x for n, x in pdf.pages[0].Resources.XObject.items() if n.startswith("/BpMark"))
        assert min(fill_alphas(form)) == pytest.approx(0.35)
        mark_fonts = list(form.Resources.Font.values())
        assert mark_fonts and all(is_embedded(f) for f in mark_fonts)
        assert all("/ToUnicode" in f for f in mark_fonts)


def test_opaque_mark_adds_no_transparency():
    out = Client().watermark_pdf(text_pdf(pages=1), text="DRAFT")
    with pikepdf.open(io.BytesIO(out)) as pdf:
        form = next(x for n, x in pdf.pages[0].Resources.XObject.items() if n.startswith("/BpMark"))
        assert "/ExtGState" not in form.Resources


def test_the_mark_is_copied_as_plain_flate_so_no_save_recompresses_its_font():
    """reportlab writes the font as ASCII85 over Flate; qpdf would re-encode that on every
    document's save. The cached mark holds it re-encoded once."""
    from batchproc.operations.watermark import MarkStyle, _text_mark

    mark = _text_mark("DRAFT", MarkStyle(200.0, 100.0, 1.0, 0.0, "#000000", "sans"))
    filters = [o.get("/Filter") for o in mark.pdf.objects if isinstance(o, pikepdf.Stream)]
    assert any(filters), "the mark has compressed streams"
    assert all(f in (None, pikepdf.Name.FlateDecode) for f in filters), filters


def test_pages_of_one_size_share_the_streams_that_bracket_the_mark():
    """Two new streams per page would each cost a compression on save; same-size pages
    draw the mark with the same bytes, so they share one opening and one closing stream."""
    out = Client().watermark_pdf(text_pdf(pages=4), text="DRAFT")
    assert all("DRAFT" in text and "Quarterly report" in text for text in page_texts(out))
    with pikepdf.open(io.BytesIO(out)) as pdf:
        contents = [list(page.obj.Contents) for page in pdf.pages]
        assert all(len(parts) == 3 for parts in contents)
        assert len({parts[0].objgen for parts in contents}) == 1
        assert len({parts[2].objgen for parts in contents}) == 1
        assert len({parts[1].objgen for parts in contents}) == 4  # each page keeps its own content
        assert contents[0][0].read_bytes() == b"q\n"
        assert contents[0][2].read_bytes().startswith(b"Q\nq ")


@pytest.mark.parametrize(
    "position, horizontal, vertical",
    [
        ("top-left", "left", "top"), ("top-center", "center", "top"), ("top-right", "right", "top"),
        ("center", "center", "middle"), ("bottom-left", "left", "bottom"),
        ("bottom-center", "center", "bottom"), ("bottom-right", "right", "bottom"),
    ],
)
@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_mark_sits_where_asked_as_the_reader_sees_the_page(position, horizontal, vertical, rotate):
    client = Client()
    src = text_pdf(pages=1)
    if rotate:
        src = client.rotate_pages(src, degrees=rotate)
    out = client.watermark_pdf(src, text="STAMP", position=position, width=120, height=40)
    (left, bottom, right, top), (width, height) = view_box(out, "STAMP")
    centre_x, centre_y = (left + right) / 2, (bottom + top) / 2
    assert right - left > top - bottom  # upright: the word runs across the view, not up it
    assert {"left": centre_x < 80, "center": abs(centre_x - width / 2) < 10, "right": centre_x > width - 80}[horizontal]
    assert {"top": centre_y > height - 40, "middle": abs(centre_y - height / 2) < 15, "bottom": centre_y < 40}[vertical]


def test_text_is_fitted_into_the_box_and_font_size_overrides():
    client = Client()
    (left, _, right, _), _ = view_box(client.watermark_pdf(text_pdf(pages=1), text="FIT", width=300, height=300), "FIT")
    assert 270 < right - left <= 301
    (left, bottom, right, top), _ = view_box(client.watermark_pdf(text_pdf(pages=1), text="SMALL", font_size=10), "SMALL")
    assert top - bottom < 12 and right - left < 45


def test_rotated_mark_turns_counter_clockwise():
    out = Client().watermark_pdf(text_pdf(pages=1), text="DIAGONAL", rotation=90)
    (left, bottom, right, top), _ = view_box(out, "DIAGONAL")
    assert top - bottom > 3 * (right - left)  # runs up the page


def test_mark_shows_on_a_page_whose_content_ends_inside_an_unterminated_array(tmp_path):
    src = tmp_path / "damaged.pdf"
    damaged_content_pdf(src)
    [text] = page_texts(Client().watermark_pdf(src, text="VISIBLE"))
    assert "Hello" in text and "VISIBLE" in text


def _image_names(data: bytes) -> list[str]:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        names = []
        for page in pdf.pages:
            form = next(x for n, x in page.Resources.XObject.items() if n.startswith("/BpMark"))
            names += [n for n, x in form.Resources.XObject.items() if x.Subtype == "/Image"]
        return names


def test_image_mark_from_path_and_bytes_is_an_image_with_opacity(tmp_path):
    image = tmp_path / "logo.png"
    png_image(image, alpha=True)
    for source in (image, str(image), image.read_bytes()):
        out = Client().watermark_pdf(text_pdf(pages=2), image_file=source, opacity=0.5, position="bottom-right")
        assert len(_image_names(out)) == 2
        with pikepdf.open(io.BytesIO(out)) as pdf:
            form = next(x for n, x in pdf.pages[0].Resources.XObject.items() if n.startswith("/BpMark"))
            assert min(fill_alphas(form)) == pytest.approx(0.5)


def test_pdf_page_as_image_file_is_stamped(tmp_path):
    mark = text_pdf(pages=1, text="Letterhead")
    [text] = page_texts(Client().watermark_pdf(text_pdf(pages=1), image_file=mark, width=300, height=300))
    assert "Letterhead page 1" in text


class _ImageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        if self.path == "/logo.png":
            body = png_image()
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_error(404)

    def log_message(self, *args):
        pass


@pytest.fixture
def image_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ImageHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_image_url_is_fetched_and_stamped(image_server):
    out = Client().watermark_pdf(text_pdf(pages=2), image_url=f"{image_server}/logo.png")
    assert len(_image_names(out)) == 2


def test_image_url_failures_are_typed(image_server):
    with pytest.raises(errors.ValidationError, match="HTTP 404"):
        Client().watermark_pdf(text_pdf(pages=1), image_url=f"{image_server}/missing.png")
    with pytest.raises(errors.NetworkError) as info:
        Client().watermark_pdf(text_pdf(pages=1), image_url="http://127.0.0.1:9/logo.png")
    assert info.value.transient


def test_missing_or_unreadable_image_file(tmp_path):
    with pytest.raises(errors.InputNotFoundError, match="image_file"):
        Client().watermark_pdf(text_pdf(pages=1), image_file=tmp_path / "nope.png")
    with pytest.raises(errors.ValidationError, match="not a readable"):
        Client().watermark_pdf(text_pdf(pages=1), image_file=b"not an image at all")


@pytest.mark.parametrize(
    "params, message",
    [
        ({"text": "A", "image_url": "http://x/y.png"}, "exactly one of text, image_url and image_file (got text and image_url)"),
        ({}, "got none"),
        ({"text": "A", "position": "middle"}, "parameter 'position'"),
        ({"text": "A", "font_color": "red"}, "parameter 'font_color'"),
        ({"text": "A", "opacity": 1.5}, "between 0 and 1"),
        ({"text": "A", "width": 0}, "greater than 0"),
        ({"image_url": "ftp://x/y.png"}, "http:// or https://"),
    ],
)
def test_bad_watermark_params_fail_before_any_work(params, message):
    with pytest.raises(errors.OperationError) as info:
        Pipeline.from_operations([{"method": "watermark_pdf", "params": params}])
    assert message in str(info.value) and "step 0 (watermark_pdf)" in str(info.value)


@pytest.mark.parametrize("opacity, lightest_ink, darkest_ink", [(1.0, 0, 40), (0.3, 150, 230)])
def test_text_mark_renders_with_the_asked_opacity(opacity, lightest_ink, darkest_ink):
    """The darkest pixel of a black mark on a blank page shows the opacity really applied."""
    import pypdfium2 as pdfium

    blank = pikepdf.new()
    blank.add_blank_page(page_size=(400, 200))
    buf = io.BytesIO()
    blank.save(buf)
    out = Client().watermark_pdf(buf.getvalue(), text="MARK", width=300, height=150, opacity=opacity)
    doc = pdfium.PdfDocument(out)
    image = doc[0].render(scale=1).to_pil().convert("L")
    darkest, _ = image.getextrema()
    doc.close()
    assert lightest_ink <= darkest <= darkest_ink


def test_pages_sharing_one_resources_dictionary_name_the_mark_once(tmp_path):
    with pikepdf.open(io.BytesIO(text_pdf(pages=3))) as pdf:
        shared = pdf.make_indirect(pikepdf.Dictionary(pdf.pages[0].obj.Resources))
        for page in pdf.pages:
            page.obj.Resources = shared
        pdf.save(tmp_path / "shared.pdf")
    out = Client().watermark_pdf(tmp_path / "shared.pdf", text="DRAFT")
    assert all("DRAFT" in text for text in page_texts(out))
    with pikepdf.open(io.BytesIO(out)) as pdf:
        assert len({page.obj.Resources.objgen for page in pdf.pages}) == 1
        names = [name for name in pdf.pages[0].Resources.XObject.keys() if name.startswith("/BpMark")]
        assert names == ["/BpMark0"]
        assert all(b"/BpMark0 Do" in page.obj.Contents[-1].read_bytes() for page in pdf.pages)


def test_a_second_mark_takes_the_next_free_name():
    client = Client()
    out = client.watermark_pdf(client.watermark_pdf(text_pdf(pages=2), text="FIRST"), text="SECOND")
    assert all("FIRST" in text and "SECOND" in text for text in page_texts(out))
    with pikepdf.open(io.BytesIO(out)) as pdf:
        for page in pdf.pages:
            marks = {name: x.objgen for name, x in page.Resources.XObject.items() if name.startswith("/BpMark")}
            assert sorted(marks) == ["/BpMark0", "/BpMark1"] and len(set(marks.values())) == 2
