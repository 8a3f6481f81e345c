"""Reading uploaded CSV bytes into columns, and writing CSV that spreadsheets open safely."""
