fn main() -> shared::lambda::Result {
    shared::lambda::serve(&availability::holidays_list::OP)
}
