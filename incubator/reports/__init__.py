"""Progress reports: data assembly (`data`), then rendering (`pdf`, with `pdf_kit` and `pdf_charts`)."""
