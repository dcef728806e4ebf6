fn main() -> shared::lambda::Result {
    shared::lambda::serve(&appointments::series_cancel::OP)
}
