package Test::Nginx::HTTPClient;

# The HTTP/1.x client of the Test::Nginx::Socket harness: builds requests
# from "--- request" text the way OpenResty's Test::Nginx does, sends them
# (optionally as several packets), and parses responses, including chunked
# bodies.  The timeout applies between two I/O events, not to the whole
# exchange.

use strict;
use warnings;

use Errno qw(EAGAIN EINTR EWOULDBLOCK);
use Exporter qw(import);
use IO::Select;
use IO::Socket::INET;
use Time::HiRes qw(sleep time);

our @EXPORT_OK = qw(build_request http_exchange parse_response);

# "--- more_headers" text: "Name: value" lines, '#' comments ignored.
sub _more_headers {
    my ($text) = @_;
    my @h;
    for my $line (split /\n+/, $text // '') {
        next if $line =~ /^\s*#/ || $line !~ /\S/;
        my ($k, $v) = split /:\s*/, $line, 2;
        push @h, [$k, $v // ''];
    }
    return @h;
}

# "GET /t" plus an optional body becomes a full request: HTTP/1.1 when no
# version is given, Host and Connection unless more_headers has them, and
# Content-Length for a body.
sub build_request {
    my ($text, $more, $conn) = @_;
    $text =~ s/\A(?:\s*#[^\n]*\n|\s+)+//;
    my ($line, $body) = split /\n/, $text, 2;
    $line =~ s/\s+\z//;
    my ($method, $uri, $ver) = split ' ', $line;
    die "invalid request line '$line'\n" unless defined $method;
    $uri //= '/';
    $ver //= 'HTTP/1.1';
    my @h = _more_headers($more);
    my %has = map { lc($_->[0]) => 1 } @h;
    my $req = "$method $uri $ver\r\n";
    $req .= "Host: localhost\r\n" unless $has{host};
    $req .= "Connection: " . ($conn // 'close') . "\r\n" unless $has{connection};
    $req .= "$_->[0]: $_->[1]\r\n" for @h;
    if (defined $body) {
        $body =~ s/\A\s+|\s+\z//g;
    }
    if (defined $body && length $body && !$has{'content-length'}
        && !$has{'transfer-encoding'})
    {
        $req .= "Content-Length: " . length($body) . "\r\n";
    }
    $req .= "\r\n";
    $req .= $body if defined $body;
    return $req;
}

# Parses one response from the start of $raw.  Returns a hash with
# complete => 1 when the message is whole; interim 1xx responses (not 101)
# are skipped.
sub parse_response {
    my ($raw, %o) = @_;
    my $r = { complete => 0 };
    my $pos = 0;
    my $head;
    while (1) {
        my $end = index($raw, "\r\n\r\n", $pos);
        return $r if $end < 0;
        $head = substr($raw, $pos, $end - $pos);
        $pos = $end + 4;
        last unless $head =~ m{^HTTP/\d\.\d\s+1\d\d\b} && $head !~ m{^HTTP/\d\.\d\s+101\b};
    }
    my ($status_line, @lines) = split /\r\n/, $head;
    my ($proto, $code, $reason) = $status_line =~ m{^(HTTP/\d\.\d)\s+(\d{3})\s*(.*)$};
    return { %$r, error => "bad status line '$status_line'" } unless defined $code;
    my (@headers, %h);
    for my $l (@lines) {
        my ($k, $v) = $l =~ /^([^:\s]+)\s*:\s*(.*?)\s*$/ or next;
        push @headers, [$k, $v];
        $h{lc $k} = exists $h{lc $k} ? "$h{lc $k}, $v" : $v;
    }
    $r = { %$r, proto => $proto, code => $code, reason => $reason,
           raw_headers => "$head\r\n", headers => \@headers, header => \%h };
    my $rest = substr($raw, $pos);

    if ($code == 101 || $code == 204 || $code == 304 || $o{head}) {
        return { %$r, complete => 1, body => '', leftover => $rest };
    }
    if (($h{'transfer-encoding'} // '') =~ /chunked/i) {
        my ($body, $p) = ('', 0);
        while (1) {
            my $nl = index($rest, "\r\n", $p);
            return { %$r, body => $body } if $nl < 0;
            my ($hex) = substr($rest, $p, $nl - $p) =~ /^([0-9a-fA-F]+)/;
            return { %$r, body => $body, error => 'bad chunk size' } unless defined $hex;
            my $n = hex $hex;
            if ($n == 0) {
                # trailer section ends with an empty line
                my $t = index($rest, "\r\n\r\n", $nl);
                return { %$r, body => $body } if $t < 0;
                return { %$r, complete => 1, body => $body,
                         leftover => substr($rest, $t + 4) };
            }
            return { %$r, body => $body } if length($rest) < $nl + 2 + $n + 2;
            $body .= substr($rest, $nl + 2, $n);
            $p = $nl + 2 + $n + 2;
        }
    }
    if (defined $h{'content-length'}) {
        my $len = $h{'content-length'};
        return { %$r, body => $rest } if length($rest) < $len;
        return { %$r, complete => 1, body => substr($rest, 0, $len),
                 leftover => substr($rest, $len) };
    }
    # no length: the body ends when the server closes the connection
    return { %$r, body => $rest, until_eof => 1 };
}

# Sends @packets (with $delay seconds between them) to 127.0.0.1:$port and
# reads until a full response, EOF, or $timeout seconds without I/O.
# Returns { raw, timed_out, error }.
sub http_exchange {
    my (%o) = @_;
    my $timeout = $o{timeout} || 3;
    my $sock = IO::Socket::INET->new(
        PeerAddr => $o{host} || '127.0.0.1', PeerPort => $o{port},
        Proto => 'tcp', Timeout => $timeout,
    ) or return { raw => '', error => "cannot connect to port $o{port}: $@" };
    $sock->blocking(0);
    my $sel = IO::Select->new($sock);
    my $res = { raw => '' };

    my $i = 0;
    for my $packet (@{ $o{packets} }) {
        sleep($o{delay} // 0.01) if $i++;
        my $off = 0;
        while ($off < length $packet) {
            if (!$sel->can_write($timeout)) {
                $res->{timed_out} = 1;
                return $res;
            }
            my $n = syswrite($sock, $packet, length($packet) - $off, $off);
            if (!defined $n) {
                next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
                $res->{error} = "write failed: $!";
                last;
            }
            $off += $n;
        }
    }

    while (1) {
        if (!$sel->can_read($timeout)) {
            $res->{timed_out} = 1;
            last;
        }
        my $n = sysread($sock, my $buf, 65536);
        if (!defined $n) {
            next if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
            # a reset after a complete response is not an error worth failing on
            $res->{error} = "read failed: $!" unless length $res->{raw};
            last;
        }
        last if $n == 0;
        $res->{raw} .= $buf;
        last if !$o{read_all} && parse_response($res->{raw}, head => $o{head})->{complete};
    }
    close $sock;
    return $res;
}

1;
