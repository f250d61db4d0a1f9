//! Assertion macros for the tests: each failed check prints a KTAP
//! diagnostic (`# file:line: what was expected, what was seen`) inside the
//! current suite and returns `Err(Stop::Fail)` from the test (or from the
//! closure a forked child runs).

/// Prints a diagnostic line inside the current suite.
macro_rules! diag {
    ($($arg:tt)*) => {
        pikern_rt::println!("    # {}", format_args!($($arg)*))
    };
}

/// Reports a failure at this line and stops the test.
macro_rules! fail {
    ($($arg:tt)*) => {{
        let file = file!().rsplit('/').next().unwrap_or(file!());
        diag!("{}:{}: {}", file, line!(), format_args!($($arg)*));
        return Err($crate::ktap::Stop::Fail);
    }};
}

/// Fails unless the condition holds.
macro_rules! check {
    ($cond:expr) => {
        if !$cond {
            fail!("check failed: {}", stringify!($cond))
        }
    };
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            fail!($($arg)+)
        }
    };
}

/// Fails unless `left == right`, showing both.
macro_rules! check_eq {
    ($left:expr, $right:expr $(,)?) => {
        match (&$left, &$right) {
            (l, r) => {
                if *l != *r {
                    fail!(
                        "{} == {}: got {:?}, expected {:?}",
                        stringify!($left),
                        stringify!($right),
                        l,
                        r
                    )
                }
            }
        }
    };
}

/// Unwraps an `Ok`, failing with the errno otherwise.
macro_rules! ok {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(e) => fail!("{} failed: {:?}", stringify!($e), e),
        }
    };
}

/// Fails unless the expression is `Err(errno)`.
macro_rules! check_err {
    ($e:expr, $errno:expr) => {
        match $e {
            Err(e) if e == $errno => {}
            other => fail!(
                "{}: got {:?}, expected Err({:?})",
                stringify!($e),
                other,
                $errno
            ),
        }
    };
}

/// Stops the test as skipped, with a reason.
macro_rules! skip {
    ($($arg:tt)*) => {
        return Err($crate::ktap::Stop::Skip(alloc::format!($($arg)*)))
    };
}
