fn main() -> shared::lambda::Result {
    shared::lambda::serve(&locations::amenities_set::OP)
}
