package Test::Nginx::Media;

# What the media tests share: the server blocks they run under, and the
# status page read and waited on.
#
#   media_config(<<'EOF');       # the webrtc {} block; the rest is standard
#   my $st = media_status();     # decoded /status, undef if it did not answer
#   my $st = media_await(sub { $_[0]{totals}{...} }, 15);

use strict;
use warnings;

use Exporter qw(import);
use HTTP::Tiny;
use JSON::PP qw(decode_json);
use Time::HiRes qw(sleep time);

our @EXPORT = qw(media_config media_status media_await);

sub media_config {
    my ($main) = @_;
    main::add_block_preprocessor(sub {
        my $block = shift;
        $block->set_value('main_config', $main)
            unless defined $block->main_config;
        $block->set_value('config', "location /janus { webrtc_signaling; }\n"
                                    . "location = /status { webrtc_status; }\n")
            unless defined $block->config;
        $block->set_value('stream_server_config', "webrtc_media;\n")
            unless defined $block->stream_server_config;
    });
}

sub media_status {
    my $res = HTTP::Tiny->new(timeout => 2)
        ->get('http://127.0.0.1:' . main::server_port() . '/status');
    return $res->{success} ? eval { decode_json($res->{content}) } : undef;
}

# the status once cond holds for it, undef after $wait seconds [15]
sub media_await {
    my ($cond, $wait) = @_;
    my $deadline = time + ($wait // 15);
    while (time < $deadline) {
        my $st = media_status();
        return $st if $st && $cond->($st);
        sleep 0.05;
    }
    return undef;
}

1;
