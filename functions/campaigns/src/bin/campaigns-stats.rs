fn main() -> shared::lambda::Result {
    shared::lambda::serve(&campaigns::stats::OP)
}
